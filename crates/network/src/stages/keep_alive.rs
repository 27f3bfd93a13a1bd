//! Keep-alive on every connection: on one we opened the [`client`] sends a cookie every
//! [`KEEP_ALIVE_INTERVAL`] and checks the echo; on one a peer opened the [`server`] echoes.
//! Their timeouts catch a peer that stopped answering, where other protocols wait forever.

use crate::mux::connection::{Channel, ConnectionError};
use crate::protocols::keepalive::messages::Message;
use crate::protocols::keepalive::server::respond;
use crate::protocols::keepalive::PROTOCOL;
use crate::protocols::limits::{KEEP_ALIVE_CLIENT, KEEP_ALIVE_INTERVAL, KEEP_ALIVE_SERVER, SMALL_BYTES};

/// Sends a keep-alive cookie every [`KEEP_ALIVE_INTERVAL`] and checks the echo.
pub async fn client(mut ch: Channel) -> Result<(), ConnectionError> {
    let mut cookie: u16 = 0;
    loop {
        tokio::time::sleep(KEEP_ALIVE_INTERVAL).await;
        cookie = cookie.wrapping_add(1);
        ch.send(&Message::KeepAlive(cookie).to_cbor()).await?;
        match ch
            .recv_decoded("StServer", SMALL_BYTES, Some(KEEP_ALIVE_SERVER), Message::decode)
            .await?
        {
            Message::Response(c) if c == cookie => {}
            other => {
                return Err(ConnectionError::violation(
                    PROTOCOL,
                    format!("{other:?} where the echo of cookie {cookie} was expected"),
                ))
            }
        }
    }
}

/// Echoes keep-alive cookies until the client is done.
pub async fn server(mut ch: Channel) -> Result<(), ConnectionError> {
    loop {
        let msg = ch
            .recv_decoded("StClient", SMALL_BYTES, Some(KEEP_ALIVE_CLIENT), Message::decode)
            .await?;
        match respond(msg) {
            Ok(Some(reply)) => ch.send(&reply.to_cbor()).await?,
            Ok(None) => return Ok(()),
            Err(m) => return Err(ConnectionError::violation(PROTOCOL, format!("{m:?} from the client"))),
        }
    }
}
