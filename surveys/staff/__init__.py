"""Staff: sign-in, people, ratings of admins, incidents and deliverables, scorecards."""
