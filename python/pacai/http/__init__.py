"""HTTP cross-cutting concerns: problem documents, the edge middleware, pagination."""
