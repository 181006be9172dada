"""`dosmotr backup DIR` and `dosmotr restore DIR`: the database and the evidence store together.

A backup folder holds:
    manifest.json      what is in it: the dump's sha256, the audit chain's length and head at
                       the snapshot, every evidence object with its size and sha256
    database.dump      pg_dump (custom format) taken in the same snapshot the manifest lists
    objects/<key>      copies of the evidence objects (local store only; S3 objects are listed,
                       their bucket's object lock and replication keep them)
    secrets.json       the data dir's generated secrets, if it has any (mode 0600)
"""
