//! The REST listener's connections fail a write that makes no progress for a while: a client
//! that stops reading (an event-stream subscriber that never reads again) is dropped, with
//! its place, instead of holding its connection open forever.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// How long a write may wait for a client to read before its connection is dropped.
pub const WRITE_STALL_LIMIT: Duration = Duration::from_secs(60);

/// A TCP listener whose connections are [`StallGuard`]ed.
pub struct WriteStallListener {
    inner: TcpListener,
    limit: Duration,
}

impl WriteStallListener {
    pub fn new(inner: TcpListener, limit: Duration) -> Self {
        WriteStallListener { inner, limit }
    }
}

impl axum::serve::Listener for WriteStallListener {
    type Io = StallGuard<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        (StallGuard::new(stream, self.limit), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A stream whose writes fail with `TimedOut` once one has waited `limit` without progress.
pub struct StallGuard<S> {
    inner: S,
    limit: Duration,
    /// Since when the pending write has waited.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> StallGuard<S> {
    pub fn new(inner: S, limit: Duration) -> Self {
        StallGuard {
            inner,
            limit,
            stalled: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for StallGuard<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for StallGuard<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                this.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let limit = this.limit;
                let stalled = this.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match stalled.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("the client read nothing for {limit:?}"),
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_write_the_reader_never_takes_fails_after_the_limit_and_progress_resets_it() {
        let limit = Duration::from_millis(200);
        // A pipe that holds 64 bytes: the writer blocks once they are in.
        let (client, server) = tokio::io::duplex(64);
        let mut guarded = StallGuard::new(server, limit);
        guarded.write_all(&[1; 64]).await.unwrap();
        let started = std::time::Instant::now();
        let err = tokio::time::timeout(Duration::from_secs(5), guarded.write_all(&[2; 64]))
            .await
            .expect("the stalled write must end by itself")
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= limit);
        // A reader that reads, however slowly, within the limit keeps the stream alive.
        let (mut client2, server2) = tokio::io::duplex(64);
        let mut guarded = StallGuard::new(server2, limit);
        let reader = tokio::spawn(async move {
            let mut got = 0;
            let mut buf = [0u8; 32];
            while got < 640 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                got += client2.read(&mut buf).await.unwrap();
            }
        });
        guarded
            .write_all(&[3; 640])
            .await
            .expect("a slow reader is not dropped");
        reader.await.unwrap();
        drop(client);
    }
}
