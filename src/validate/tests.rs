//! Tests per constraint.
