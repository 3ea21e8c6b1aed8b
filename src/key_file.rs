//! The local secret key: from `POLLHOOK_SECRET_KEY`, else a key file created on first start.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use pollhook_core::secret_box::SecretBox;

/// Loads the key; creates the file (mode 0600) with a fresh key when it does not exist yet.
pub fn load_or_create(env_key: Option<&str>, path: &Path) -> anyhow::Result<SecretBox> {
    if let Some(key) = env_key.filter(|k| !k.trim().is_empty()) {
        return SecretBox::from_base64(key).context("POLLHOOK_SECRET_KEY");
    }
    match std::fs::read_to_string(path) {
        Ok(text) => {
            SecretBox::from_base64(&text).with_context(|| format!("key file {}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SecretBox::generate_key_base64();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(path)
                .with_context(|| format!("cannot create key file {}", path.display()))?;
            writeln!(file, "{key}")
                .with_context(|| format!("cannot write key file {}", path.display()))?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "created a new secret key file; back it up with the database");
            SecretBox::from_base64(&key).context("generated key")
        }
        Err(e) => Err(e).with_context(|| format!("cannot read key file {}", path.display())),
    }
}
