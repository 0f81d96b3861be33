"""The command line: `assistant ingest | sources | ask | chat | serve | eval | doctor`."""
