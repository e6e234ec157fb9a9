//! Region profiles: the data that differs between regions (issue 5).
