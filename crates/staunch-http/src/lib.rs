//! HTTP semantics for [`staunch`].
//!
//! This crate is reserved for the HTTP face of staunch: which statuses retry,
//! `Retry-After` parsing, idempotency rules, request body replay, a
//! `reqwest-middleware` middleware and a `tower` layer. It exposes no API yet;
//! use the [`staunch`] engine directly until it does.
