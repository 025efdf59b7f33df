//! Values computed once per run by key and shared by every thread: rule
//! regexes, the words they require, grammars' kind names. Start-up reads
//! the same pattern texts many times over (rules share them across
//! patterns, languages and rules).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

/// A map filled on demand, for a `static`.
pub struct RunMemo<K, V>(OnceLock<Mutex<HashMap<K, V>>>);

impl<K: Eq + Hash, V: Clone> Default for RunMemo<K, V> {
    fn default() -> Self {
        RunMemo::new()
    }
}

impl<K: Eq + Hash, V: Clone> RunMemo<K, V> {
    pub const fn new() -> RunMemo<K, V> {
        RunMemo(OnceLock::new())
    }

    /// The value for `key`, computed by `make` the first time. `make` runs
    /// without the lock held, so two threads may both compute a value; the
    /// first one stored is kept. An `Err` is returned and not stored.
    pub fn get_or_try<Q, E>(&self, key: &Q, make: impl FnOnce() -> Result<V, E>) -> Result<V, E>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(value) = self.lock().get(key) {
            return Ok(value.clone());
        }
        let value = make()?;
        Ok(self.lock().entry(key.to_owned()).or_insert(value).clone())
    }

    /// [`RunMemo::get_or_try`] for a computation that cannot fail.
    pub fn get_or<Q>(&self, key: &Q, make: impl FnOnce() -> V) -> V
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ToOwned<Owned = K> + ?Sized,
    {
        match self.get_or_try(key, || Ok::<V, Infallible>(make())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, V>> {
        self.0
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::RunMemo;

    #[test]
    fn each_key_is_computed_once_and_errors_are_not_kept() {
        static MEMO: RunMemo<String, usize> = RunMemo::new();
        let mut calls = 0;
        let mut len = |k: &str| {
            calls += 1;
            k.len()
        };
        assert_eq!(MEMO.get_or("abc", || len("abc")), 3);
        assert_eq!(MEMO.get_or("abc", || len("abc")), 3);
        assert_eq!(calls, 1);
        assert_eq!(MEMO.get_or_try("x", || Err::<usize, ()>(())), Err(()));
        assert_eq!(MEMO.get_or_try("x", || Ok::<usize, ()>(7)), Ok(7));
        assert_eq!(MEMO.get_or("x", || 9), 7);
    }
}
