//! Loket's Graph API client pointed at the fake: the one place where the
//! fake meets a type of loket's, so that [`crate::fake_graph`] itself
//! speaks only HTTP and JSON, as Meta does.

use crate::fake_graph::FakeGraphApi;
use loket::whatsapp::client::GraphSettings;
use std::time::Duration;

impl FakeGraphApi {
    /// Client settings that reach this fake with the right token, phone
    /// number id and version, and a 5 second timeout.
    pub fn client_settings(&self) -> GraphSettings {
        let config = self.config();
        GraphSettings {
            api_base: self.base_url().to_owned(),
            api_version: config.api_version.clone(),
            phone_number_id: config.phone_number_id.clone(),
            access_token: config.access_token.clone().into(),
            timeout: Duration::from_secs(5),
        }
    }
}
