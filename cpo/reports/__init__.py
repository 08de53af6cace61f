"""Monthly reports per operator and station: availability, sessions, energy, revenue, faults."""
