package org.updraft.rest.internal;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import javax.ws.rs.Consumes;
import javax.ws.rs.DELETE;
import javax.ws.rs.GET;
import javax.ws.rs.HttpMethod;
import javax.ws.rs.POST;
import javax.ws.rs.PUT;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.Produces;
import javax.ws.rs.QueryParam;
import javax.ws.rs.core.Context;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Request;
import javax.ws.rs.core.Response;


/**
 * The OpenAPI 3.0 document of this API, generated when asked from the resource classes themselves (their JAX-RS
 * annotations and {@link Allowed} roles), so that it describes every resource the API serves and nothing else.
 */
@Path("openapi.json")
@Produces({MediaType.APPLICATION_JSON, ApiProblem.MEDIA_TYPE})
public final class OpenApiResource {

    private final List<Class<?>> resources;
    private final String version;

    OpenApiResource(List<Class<?>> resources, String version) {
        this.resources = List.copyOf(resources);
        this.version = version;
    }

    @GET
    @Allowed(Role.VIEWER)
    public Response document(@Context Request request) {
        return Json.ok(request, document());
    }

    Map<String, Object> document() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("openapi", "3.0.3");
        doc.put("info", Map.of("title", "Updraft management API", "version", version,
                "description", "Devices, releases, rollouts, ledger, trust, store and platform status. "
                        + "Errors are RFC 9457 application/problem+json with the reason code in 'code'."));
        doc.put("servers", List.of(Map.of("url", "/api/v1")));
        Map<String, Object> paths = new TreeMap<>();
        for (Class<?> type : resources) {
            String base = path(type.getAnnotation(Path.class));
            List<Method> methods = new ArrayList<>(List.of(type.getMethods()));
            methods.sort(Comparator.comparing(Method::getName));
            for (Method m : methods) {
                String verb = verb(m);
                if (verb == null) {
                    continue;
                }
                String path = "/" + join(base, path(m.getAnnotation(Path.class)));
                @SuppressWarnings("unchecked")
                Map<String, Object> item = (Map<String, Object>) paths.computeIfAbsent(path,
                        p -> new LinkedHashMap<>());
                item.put(verb.toLowerCase(Locale.ROOT), operation(type, m, verb));
            }
        }
        doc.put("paths", paths);
        Map<String, Object> schemes = new LinkedHashMap<>();
        schemes.put("basic", Map.of("type", "http", "scheme", "basic",
                "description", "A user of Karaf's JAAS realm (the SSH users)"));
        schemes.put("token", Map.of("type", "http", "scheme", "bearer",
                "description", "An API token from updraft:token-create"));
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", "object");
        problem.put("properties", Map.of("type", Map.of("type", "string"), "title", Map.of("type", "string"),
                "status", Map.of("type", "integer"), "detail", Map.of("type", "string"),
                "code", Map.of("type", "string")));
        doc.put("components", Map.of("securitySchemes", schemes, "schemas", Map.of("Problem", problem)));
        doc.put("security", List.of(Map.of("basic", List.of()), Map.of("token", List.of())));
        return doc;
    }

    private static Map<String, Object> operation(Class<?> type, Method m, String verb) {
        Map<String, Object> op = new LinkedHashMap<>();
        op.put("operationId", type.getSimpleName().replace("Resource", "").toLowerCase(Locale.ROOT) + "."
                + m.getName());
        op.put("tags", List.of(type.getSimpleName().replace("Resource", "").toLowerCase(Locale.ROOT)));
        Allowed allowed = m.getAnnotation(Allowed.class);
        op.put("x-updraft-role", allowed == null ? null : allowed.value().id());
        List<Object> parameters = new ArrayList<>();
        Map<String, Object> multipart = new LinkedHashMap<>();
        for (Parameter p : m.getParameters()) {
            PathParam pp = p.getAnnotation(PathParam.class);
            QueryParam qp = p.getAnnotation(QueryParam.class);
            if (pp != null) {
                parameters.add(Map.of("name", pp.value(), "in", "path", "required", true, "schema", schema(p)));
            } else if (qp != null) {
                parameters.add(Map.of("name", qp.value(), "in", "query", "required", false, "schema", schema(p)));
            }
        }
        if (!parameters.isEmpty()) {
            op.put("parameters", parameters);
        }
        FormParts form = m.getAnnotation(FormParts.class);
        if (form != null) {
            for (String part : form.binary()) {
                multipart.put(part, Map.of("type", "string", "format", "binary"));
            }
            for (String part : form.text()) {
                multipart.put(part, Map.of("type", "string"));
            }
        }
        Consumes consumes = m.getAnnotation(Consumes.class);
        if (!multipart.isEmpty()) {
            op.put("requestBody", Map.of("required", true, "content", Map.of(MediaType.MULTIPART_FORM_DATA,
                    Map.of("schema", Map.of("type", "object", "properties", multipart)))));
        } else if (consumes != null && consumes.value()[0].equals(MediaType.APPLICATION_JSON) || hasBody(m)
                && consumes == null) {
            op.put("requestBody", Map.of("required", consumes != null, "content",
                    Map.of(MediaType.APPLICATION_JSON, Map.of("schema", Map.of("type", "object")))));
        }
        Map<String, Object> responses = new LinkedHashMap<>();
        String ok = verb.equals(HttpMethod.DELETE) ? "204" : verb.equals(HttpMethod.POST)
                && (m.getName().equals("add") || m.getName().equals("create") || m.getName().equals("publish"))
                        ? "201" : "200";
        responses.put(ok, ok.equals("204") ? Map.of("description", "done")
                : Map.of("description", "done", "content", Map.of(MediaType.APPLICATION_JSON,
                        Map.of("schema", Map.of("type", "object")))));
        if (verb.equals(HttpMethod.GET)) {
            responses.put("304", Map.of("description", "not modified (If-None-Match named the ETag)"));
        }
        Map<String, Object> problem = Map.of("description", "refused: the reason code is in 'code'", "content",
                Map.of(ApiProblem.MEDIA_TYPE, Map.of("schema", Map.of("$ref", "#/components/schemas/Problem"))));
        responses.put("default", problem);
        op.put("responses", responses);
        return op;
    }

    private static boolean hasBody(Method m) {
        for (Parameter p : m.getParameters()) {
            if (p.getAnnotations().length == 0 && p.getType() == java.io.InputStream.class) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, Object> schema(Parameter p) {
        Class<?> t = p.getType();
        if (t == long.class || t == Long.class || t == int.class || t == Integer.class) {
            return Map.of("type", "integer");
        }
        return Map.of("type", "string");
    }

    static String verb(Method m) {
        for (Annotation a : m.getAnnotations()) {
            HttpMethod http = a.annotationType().getAnnotation(HttpMethod.class);
            if (http != null) {
                return http.value();
            }
        }
        return null;
    }

    private static String path(Path p) {
        return p == null ? "" : p.value().replaceAll("^/+|/+$", "");
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : b.isEmpty() ? a : a + "/" + b;
    }

    // the verbs resources use, named here so that a new one is not forgotten by the generator's readers
    static final List<Class<? extends Annotation>> VERBS = List.of(GET.class, POST.class, PUT.class, DELETE.class);
}
