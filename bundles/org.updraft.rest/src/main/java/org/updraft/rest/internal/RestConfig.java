package org.updraft.rest.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Updraft REST management API",
        description = "The management API under /api/v1 on Karaf's HTTP port (docs/rest-api.md)")
public @interface RestConfig {

    String PID = "org.updraft.rest";

    @AttributeDefinition(description = "JAAS realm HTTP Basic logins are checked against: Karaf's, the SSH users")
    String realm() default "karaf";

    @AttributeDefinition(description = "JAAS roles (comma-separated) that make a user an admin of the API")
    String roles_admin() default "admin";

    @AttributeDefinition(description = "JAAS roles (comma-separated) that make a user an operator of the API")
    String roles_operator() default "manager";

    @AttributeDefinition(description = "JAAS roles (comma-separated) that make a user a viewer of the API; a user with "
            + "none of the roles above and below is refused (403)")
    String roles_viewer() default "viewer";

    @AttributeDefinition(description = "The API tokens file (updraft:token-create): names, roles and the tokens' "
            + "SHA-256, never the tokens; a relative path starts from etc/")
    String tokens_file() default "${karaf.data}/updraft/api-tokens.properties";

    @AttributeDefinition(description = "Requests a caller (a user or a token) may make a second; more get 429. 0: no "
            + "limit")
    int max_requests_per_second() default 50;

    @AttributeDefinition(description = "Largest JSON request body, bytes")
    int max_request_bytes() default 65536;

    @AttributeDefinition(description = "Largest firmware image a release upload may carry, bytes")
    long max_image_bytes() default 268435456L;

    @AttributeDefinition(description = "Largest page of a listing (devices, ledger events)")
    int max_page() default 1000;
}
