//! Mail to people, through the SMTP relay `--smtp-url` names: today the password-reset link.
//! One `Mailer` per process keeps a small pool of connections to the relay. A message holds a
//! secret link, so neither it nor the relay's address (which may carry a password) is ever logged.

use std::time::Duration;

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

/// How long one exchange with the relay may take.
const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `url`: `smtps://user:password@host` (TLS), `smtp://host:587?tls=required` (STARTTLS), or
    /// `smtp://host:port` (plain: a relay on the same machine); `from`: the sender, e.g.
    /// `Mon Compte <ne-pas-repondre@opco.fr>`. Nothing is sent yet.
    pub fn new(url: &SecretString, from: &str) -> anyhow::Result<Mailer> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            // lettre's error names the part that is wrong, never the address itself.
            .map_err(|e| anyhow::anyhow!("--smtp-url is not an SMTP address lettre can use: {e}"))?
            .timeout(Some(TIMEOUT))
            .build();
        let from = from.parse().with_context(|| format!("--mail-from {from:?} is not a mailbox"))?;
        Ok(Mailer { transport, from })
    }

    /// Sends a plain-text message to `name <address>`.
    pub async fn send(&self, address: &str, name: &str, subject: &str, body: String) -> anyhow::Result<()> {
        let to = Mailbox::new(Some(name.to_string()), address.parse().context("the recipient's address")?);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .context("the message")?;
        self.transport.send(message).await.context("the SMTP relay refused the message or did not answer")?;
        Ok(())
    }
}
