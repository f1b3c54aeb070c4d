"""Understanding a resident's free text: the front door's matcher and what it can reach."""
