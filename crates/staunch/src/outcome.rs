//! [`Outcome`]: success or failure, the one verdict that breakers and
//! endpoint statistics both record.

/// How a call or an attempt went, as recorded by a
/// [`Breaker`](crate::breaker::Breaker) permit and by an endpoint's
/// [`EndpointStats`](crate::pool::EndpointStats).
///
/// The same type is `staunch::breaker::Outcome` and
/// `staunch::pool::Outcome`, so a failover records one value on both. For a
/// breaker, an error that says nothing about the health of the service
/// behind it (a 404, a refused request) is reported as `Success`.
///
/// ```
/// use staunch::breaker::Outcome;
///
/// assert_eq!(Outcome::Failure, staunch::pool::Outcome::Failure);
/// assert_eq!(serde_json::to_string(&Outcome::Success).unwrap(), "\"success\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The call worked (or failed in a way that says nothing about the
    /// health of the thing behind it).
    Success,
    /// The call failed: it counts against a breaker's trip rules and the
    /// endpoint's success ratio.
    Failure,
}
