"""`streamctl cost`: the monthly cost of a stack per tenant and stream, from the shared price list."""
