//! State records kept opened (unsealed and decoded) in memory, so that a request does not
//! decrypt and parse the same stored bytes again. Each entry remembers the exact bytes it was
//! opened from and is used only while the store still returns those bytes: a refresh, a
//! revocation or a deletion on any replica changes or removes the stored value, and the next
//! read opens the new one. The store is still read on every use; only the work of opening
//! what it returned is saved.
//!
//! Bounded (the least recently used entry goes first): entries may hold people's Okta tokens
//! in the clear, and a replica's memory must not grow with the number of people who ever
//! called it.

use hashlink::LruCache;
use std::sync::{Arc, Mutex, MutexGuard};

pub struct OpenedRecords<T> {
    entries: Mutex<LruCache<String, Entry<T>>>,
}

struct Entry<T> {
    /// The stored value `opened` came from, byte for byte.
    stored: Box<[u8]>,
    opened: Arc<T>,
}

impl<T> OpenedRecords<T> {
    /// Holds at most `capacity` records.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(LruCache::new(capacity)),
        }
    }

    fn entries(&self) -> MutexGuard<'_, LruCache<String, Entry<T>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The record opened earlier from exactly `stored` under `key`, if any.
    pub fn get(&self, key: &str, stored: &[u8]) -> Option<Arc<T>> {
        let mut entries = self.entries();
        match entries.get(key) {
            Some(entry) if *entry.stored == *stored => Some(entry.opened.clone()),
            _ => None,
        }
    }

    /// Remembers that `stored` under `key` opens to `opened` (replacing what `key` held).
    pub fn insert(&self, key: &str, stored: Vec<u8>, opened: Arc<T>) {
        self.entries().insert(
            key.to_owned(),
            Entry {
                stored: stored.into_boxed_slice(),
                opened,
            },
        );
    }

    /// Drops what `key` held (the store no longer has it).
    pub fn forget(&self, key: &str) {
        self.entries().remove(key);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_serves_only_the_bytes_it_was_opened_from() {
        let records = OpenedRecords::new(4);
        records.insert("00u1", b"sealed-1".to_vec(), Arc::new("token one"));
        assert_eq!(
            records.get("00u1", b"sealed-1").as_deref(),
            Some(&"token one")
        );
        // Another replica refreshed: the store now holds other bytes, so this is a miss.
        assert!(records.get("00u1", b"sealed-2").is_none());
        assert!(records.get("00u2", b"sealed-1").is_none());
        records.insert("00u1", b"sealed-2".to_vec(), Arc::new("token two"));
        assert!(records.get("00u1", b"sealed-1").is_none());
        assert_eq!(
            records.get("00u1", b"sealed-2").as_deref(),
            Some(&"token two")
        );
        records.forget("00u1");
        assert!(records.get("00u1", b"sealed-2").is_none());
    }

    #[test]
    fn it_holds_at_most_its_capacity_dropping_the_least_recently_used() {
        let records = OpenedRecords::new(2);
        records.insert("a", b"1".to_vec(), Arc::new(1));
        records.insert("b", b"2".to_vec(), Arc::new(2));
        assert!(records.get("a", b"1").is_some());
        records.insert("c", b"3".to_vec(), Arc::new(3));
        assert_eq!(records.len(), 2);
        assert!(
            records.get("b", b"2").is_none(),
            "b was used least recently"
        );
        assert!(records.get("a", b"1").is_some() && records.get("c", b"3").is_some());
    }
}
