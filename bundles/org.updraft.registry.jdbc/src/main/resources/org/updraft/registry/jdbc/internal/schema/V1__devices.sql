-- The fleet: one row per device, its tags in device_tags. Same SQL on H2 and PostgreSQL.
-- Applied once and then never edited: its checksum is in updraft_schema_history. Change the schema in V2__...

CREATE TABLE devices (
    id                 VARCHAR(64)  NOT NULL,
    public_key         VARCHAR(128) NOT NULL,
    vendor             VARCHAR(128) NOT NULL,
    device_class       VARCHAR(128) NOT NULL,
    profile            VARCHAR(128),
    region             VARCHAR(128),
    installed_version  VARCHAR(128) NOT NULL,
    installed_sequence BIGINT       NOT NULL,
    state              VARCHAR(16)  NOT NULL,
    last_seen          TIMESTAMP WITH TIME ZONE,
    registered         TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT devices_pk PRIMARY KEY (id),
    CONSTRAINT devices_public_key_unique UNIQUE (public_key)
);

CREATE TABLE device_tags (
    device_id VARCHAR(64) NOT NULL,
    tag       VARCHAR(64) NOT NULL,
    CONSTRAINT device_tags_pk PRIMARY KEY (device_id, tag),
    CONSTRAINT device_tags_device_fk FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE
);

-- filters select by one column and page by id: (column, id) serves both
CREATE INDEX devices_vendor_idx ON devices (vendor, id);
CREATE INDEX devices_class_idx ON devices (device_class, id);
CREATE INDEX devices_profile_idx ON devices (profile, id);
CREATE INDEX devices_region_idx ON devices (region, id);
CREATE INDEX devices_version_idx ON devices (installed_version);
CREATE INDEX device_tags_tag_idx ON device_tags (tag, device_id);
