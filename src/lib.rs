//! Loket: WhatsApp webcare for Dutch public services.
pub mod domain;
pub mod whatsapp;
