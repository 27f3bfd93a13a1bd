//! The keep-alive server: it echoes each cookie.

use super::messages::Message;

/// The server's answer: the cookie echoed; `Ok(None)` when the client is done; an error for
/// a message only a server sends.
pub fn respond(msg: Message) -> Result<Option<Message>, Message> {
    match msg {
        Message::KeepAlive(c) => Ok(Some(Message::Response(c))),
        Message::Done => Ok(None),
        other @ Message::Response(_) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_echoed() {
        assert_eq!(respond(Message::KeepAlive(42)), Ok(Some(Message::Response(42))));
        assert_eq!(respond(Message::Done), Ok(None));
        assert!(respond(Message::Response(1)).is_err());
    }
}
