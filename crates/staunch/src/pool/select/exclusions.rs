//! The endpoints already tried in one call.

use std::sync::Arc;

/// Ids kept inline before spilling to the heap: the endpoints of a call's
/// first four failed attempts (the default policy makes three attempts).
/// Few inline slots keep the call's state small, and it moves with every
/// await.
const INLINE: usize = 4;

/// A small set of endpoint ids, inline up to [`INLINE`] entries.
///
/// Membership compares the shared pointer first (the id usually comes from the
/// very entry being checked) and the text second, so an endpoint removed and
/// added back under the same id stays excluded.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExclusionSet {
    inline: [Option<Arc<str>>; INLINE],
    len: usize,
    spill: Vec<Arc<str>>,
}

impl ExclusionSet {
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Adds `id`; returns false when it was already there.
    pub(crate) fn insert(&mut self, id: Arc<str>) -> bool {
        if self.contains(&id) {
            return false;
        }
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = Some(id),
            None => self.spill.push(id),
        }
        self.len += 1;
        true
    }

    #[inline]
    pub(crate) fn contains(&self, id: &Arc<str>) -> bool {
        self.iter().any(|x| Arc::ptr_eq(x, id) || **x == **id)
    }

    pub(crate) fn contains_str(&self, id: &str) -> bool {
        self.iter().any(|x| &**x == id)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<str>> + '_ {
        self.inline.iter().flatten().chain(self.spill.iter())
    }

    pub(crate) fn clear(&mut self) {
        self.inline.iter_mut().for_each(|slot| *slot = None);
        self.spill.clear();
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_more_ids_than_fit_inline() {
        let mut set = ExclusionSet::default();
        for i in 0..INLINE * 2 {
            assert!(set.insert(Arc::from(i.to_string())));
        }
        assert!(!set.insert(Arc::from("3")));
        assert_eq!(set.len(), INLINE * 2);
        assert!(set.contains(&Arc::from((INLINE * 2 - 1).to_string())));
        assert!(!set.contains_str("x"));
        set.clear();
        assert!(set.is_empty() && !set.contains_str("3"));
    }

    #[test]
    fn spilled_ids_are_found_and_not_added_twice() {
        let mut set = ExclusionSet::default();
        for i in 0..INLINE + 2 {
            set.insert(Arc::from(i.to_string()));
        }
        let spilled = (INLINE + 1).to_string();
        assert!(!set.insert(Arc::from(spilled.as_str())));
        assert!(set.contains_str(&spilled));
        assert_eq!(set.len(), INLINE + 2);
        assert_eq!(set.iter().count(), INLINE + 2);
    }

    #[test]
    fn a_cleared_set_takes_the_same_ids_again() {
        let mut set = ExclusionSet::default();
        for _ in 0..2 {
            for i in 0..INLINE + 3 {
                assert!(set.insert(Arc::from(i.to_string())));
            }
            assert_eq!(set.len(), INLINE + 3);
            set.clear();
            assert!(set.is_empty());
            assert_eq!(set.iter().count(), 0);
        }
    }
}
