"""What residents said that Linli did not understand, kept masked for staff to make synonyms of."""
