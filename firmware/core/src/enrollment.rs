//! Insured person and enrollment: the three status dimensions (002 第八–十条).
