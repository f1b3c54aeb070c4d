"""The front door's matcher as the running app holds it: kept in step with the overlay file of
synonyms staff add in the console (没看懂的话), without a restart."""
