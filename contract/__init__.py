"""What the API (`backend`) and the worker (`media_pipeline`) both read: phases, policy,
manifest, validation report and job payloads. Neither side imports the other's internals."""
