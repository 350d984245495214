//! Work that holds a scarce resource for long (an upload holds a spool file and a connection for
//! as long as its client sends; a printed dossier joins up to 200 MiB of pieces) is capped: at
//! most `per_key` at once for one key (a user, a company) and `in_all` in the process. Past a cap
//! the caller is told at once (a 429), never made to wait behind others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Which cap a refused [`Slots::take`] met.
#[derive(Debug, PartialEq, Eq)]
pub enum Busy {
    /// The key already holds `per_key` slots.
    Yours,
    /// The process holds `in_all` slots.
    Everyone,
}

#[derive(Clone)]
pub struct Slots {
    per_key: usize,
    in_all: usize,
    running: Arc<Mutex<Counts>>,
}

#[derive(Default)]
struct Counts {
    in_all: usize,
    per_key: HashMap<String, usize>,
}

/// A slot taken; given back when dropped.
pub struct Slot {
    running: Arc<Mutex<Counts>>,
    key: String,
}

impl Slots {
    pub fn new(per_key: usize, in_all: usize) -> Slots {
        Slots { per_key, in_all, running: Arc::default() }
    }

    /// A slot for `key`, unless a cap is reached.
    pub fn take(&self, key: &str) -> Result<Slot, Busy> {
        let mut counts = self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mine = counts.per_key.get(key).copied().unwrap_or(0);
        if mine >= self.per_key {
            return Err(Busy::Yours);
        }
        if counts.in_all >= self.in_all {
            return Err(Busy::Everyone);
        }
        counts.in_all += 1;
        counts.per_key.insert(key.to_string(), mine + 1);
        Ok(Slot { running: self.running.clone(), key: key.to_string() })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.in_all -= 1;
        match counts.per_key.get_mut(&self.key) {
            Some(mine) if *mine > 1 => *mine -= 1,
            _ => {
                counts.per_key.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_cannot_take_every_slot() {
        let slots = Slots::new(4, 64);
        let mine: Vec<Slot> = (0..4).map(|_| slots.take("claire").unwrap()).collect();
        assert_eq!(slots.take("claire").err(), Some(Busy::Yours));
        assert!(slots.take("sophie").is_ok(), "another key still gets one");
        drop(mine);
        assert!(slots.take("claire").is_ok(), "slots are given back");
    }

    #[test]
    fn the_process_has_a_cap_in_all() {
        let slots = Slots::new(4, 64);
        let held: Vec<Slot> = (0..64).map(|n| slots.take(&format!("user-{n}")).unwrap()).collect();
        assert_eq!(slots.take("late").err(), Some(Busy::Everyone));
        drop(held);
        assert!(slots.take("late").is_ok());
        assert_eq!(slots.running.lock().unwrap().per_key.len(), 0, "every slot given back, none kept");
    }
}
