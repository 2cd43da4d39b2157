package org.updraft.registry.jdbc.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Updraft JDBC device registry",
        description = "The fleet's devices in a SQL database: H2 in a file (embedded default) or PostgreSQL."
                + " The database is reached through the JDBC driver's OSGi DataSourceFactory service.")
public @interface JdbcRegistryConfig {

    @AttributeDefinition(name = "JDBC URL",
            description = "Where the database is. ${karaf.data} stands for Karaf's data directory. PostgreSQL:"
                    + " jdbc:postgresql://host:5432/updraft (and set the driver filter below).")
    String url() default "jdbc:h2:file:${karaf.data}/updraft/registry/devices";

    @AttributeDefinition(name = "User", description = "Database user; empty for H2's default.")
    String user() default "";

    /** {@code .password}: the leading dot keeps it out of the service's properties (DS private property). */
    @AttributeDefinition(name = "Password", type = AttributeType.PASSWORD,
            description = "Database password; empty for none. Never logged, not shown in the service's properties.")
    String _password() default "";

    @AttributeDefinition(name = "Driver",
            description = "LDAP filter choosing the driver's DataSourceFactory service by its osgi.jdbc.driver.class"
                    + " (or osgi.jdbc.driver.name). PostgreSQL: (osgi.jdbc.driver.class=org.postgresql.Driver)")
    String dataSourceFactory_target() default JdbcDeviceRegistry.H2_DRIVER;

    @AttributeDefinition(name = "Pool size",
            description = "Most connections open at once (at least 2: migrating takes a lock on one of them).")
    int pool_size() default 8;

    @AttributeDefinition(name = "Connect timeout (seconds)",
            description = "How long a call waits for a connection before it answers that the registry is"
                    + " unavailable.")
    int connect_timeout() default 5;

    @AttributeDefinition(name = "Migrate schema",
            description = "Apply the bundle's missing schema scripts at start. Off: only check that they were"
                    + " applied, and wait until another node did.")
    boolean migrate() default true;
}
