// The client entry point: picks the view for this address.
