//! Attachments staged by the composer: a file's bytes are copied in when the user attaches it,
//! so that a draft, a message in the outbox and undo never depend on the file staying where it
//! was. The built message (draft or outbox) carries its own copy; a staged row only serves the
//! composer while it is open, so rows older than a few days are dropped at start.

use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::error::{Error, Result};
use crate::model::ComposeAttachment;

impl Store {
    /// Stages `data` as an attachment (an inline image when `content_id` is set).
    pub fn stage_attachment(
        &self,
        name: &str,
        mime_type: &str,
        content_id: Option<&str>,
        data: &[u8],
    ) -> Result<ComposeAttachment> {
        let conn = self.writer();
        conn.execute(
            "INSERT INTO staged_attachments (name, mime_type, content_id, data)
             VALUES (?1, ?2, ?3, ?4)",
            params![name, mime_type, content_id, data],
        )
        .map_err(Error::storage("storing an attachment for the composer"))?;
        Ok(ComposeAttachment {
            id: conn.last_insert_rowid(),
            name: name.to_string(),
            mime_type: mime_type.to_string(),
            size: data.len() as u64,
            content_id: content_id.map(str::to_string),
        })
    }

    /// A staged attachment's bytes.
    pub fn staged_attachment_data(&self, id: i64) -> Result<Vec<u8>> {
        self.reader()
            .query_row(
                "SELECT data FROM staged_attachments WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("reading an attached file"))?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "The attached file (staged copy {id}); attach it again"
                ))
            })
    }

    /// A staged attachment's type and bytes.
    pub fn staged_attachment_typed(&self, id: i64) -> Result<(String, Vec<u8>)> {
        self.reader()
            .query_row(
                "SELECT mime_type, data FROM staged_attachments WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(Error::storage("reading an attached file"))?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "The attached file (staged copy {id}); attach it again"
                ))
            })
    }

    /// Drops staged attachments older than `max_age_secs`: the composer that staged them has been
    /// closed long since, and every draft or sent message carries its own copy.
    pub fn drop_stale_staged(&self, max_age_secs: i64) -> Result<usize> {
        self.writer()
            .execute(
                "DELETE FROM staged_attachments WHERE staged_at < unixepoch() - ?1",
                params![max_age_secs],
            )
            .map_err(Error::storage("dropping old attachment copies"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_bytes_come_back_and_stale_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let a = store
            .stage_attachment("Grüße.pdf", "application/pdf", None, b"%PDF-1.4")
            .unwrap();
        assert_eq!(a.size, 8);
        assert_eq!(store.staged_attachment_data(a.id).unwrap(), b"%PDF-1.4");
        assert_eq!(store.drop_stale_staged(3600).unwrap(), 0);
        store
            .writer()
            .execute("UPDATE staged_attachments SET staged_at = 0", [])
            .unwrap();
        assert_eq!(store.drop_stale_staged(3600).unwrap(), 1);
        assert!(matches!(
            store.staged_attachment_data(a.id),
            Err(Error::NotFound(_))
        ));
    }
}
