//! Money: amounts in yuan (2 decimals) and capital numerals 大写.
