"""`streamctl lake`: SQL over the lake through the Glue table and the shipped views, in Athena or locally."""
