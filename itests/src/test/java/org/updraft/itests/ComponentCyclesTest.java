package org.updraft.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.Test;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * No Updraft Declarative Services component needs itself to activate. Read from the descriptors bnd generated
 * ({@code bundles/<bundle>/target/classes/OSGI-INF/*.xml}, so the bundles must be built first): a component A
 * with a reference that may bind a service component B provides (interface and target filter match), B with a
 * reference that may bind a service of C, … back to A, makes SCR activate A while it activates A — every
 * reference, static or dynamic, mandatory or optional, is bound before its component activates, and getting a
 * component's service activates it. Felix SCR then logs "Circular reference detected" and, depending on which
 * component the boot happened to start first, leaves a reference unbound or a component failed.
 *
 * <p>Services a component registers itself once active (the platform's forwarding services, a transport's
 * update listener) activate nothing when got, so they break such a chain: that is the way out of a cycle.
 */
public class ComponentCyclesTest {

    private static final Path BUNDLES = Paths.get("..", "bundles");

    @Test
    public void noUpdraftComponentIsPartOfAReferenceCycle() throws Exception {
        List<Component> components = new ArrayList<>();
        List<String> unbuilt = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(BUNDLES)) {
            for (Path bundle : (Iterable<Path>) dirs.sorted()::iterator) {
                if (!declaresComponents(bundle.resolve("src/main/java"))) {
                    continue;
                }
                List<Component> found = descriptors(bundle);
                if (found.isEmpty()) {
                    unbuilt.add(bundle.getFileName().toString());
                }
                components.addAll(found);
            }
        }
        assertEquals("bundles with @Component classes but no descriptors in target/classes/OSGI-INF "
                + "(build them first: ./mvnw install -DskipTests)", List.of(), unbuilt);
        assertTrue("found only " + components.size() + " components under " + BUNDLES.toAbsolutePath(),
                components.size() >= 10);
        List<String> cycles = cycles(components);
        assertEquals("reference cycles among Updraft's components (register one of the services yourself once "
                + "active instead of providing it as a component, see UpdateListener's Javadoc)", List.of(), cycles);
    }

    /** The check finds the cycle the CoAP transport had, and none once the transport registers its listener itself. */
    @Test
    public void aTransportProvidingTheListenerItsUpdateServiceBindsIsACycle() throws Exception {
        String updates = component("updates", false, "org.updraft.api.update.UpdateService", "",
                "<reference name='listener' cardinality='0..n' policy='dynamic' "
                        + "interface='org.updraft.api.update.listener.UpdateListener'/>");
        String transport = component("coap", true, "org.updraft.api.update.listener.UpdateListener", "",
                "<reference name='updates' interface='org.updraft.api.update.UpdateService'/>");
        List<String> found = cycles(List.of(parse(updates, "rollout").get(0), parse(transport, "coap").get(0)));
        assertEquals(1, found.size());
        assertTrue(found.get(0), found.get(0).contains("coap -[updates: org.updraft.api.update.UpdateService]-> updates")
                && found.get(0).contains("updates -[listener: org.updraft.api.update.listener.UpdateListener]-> coap"));

        String selfRegistering = component("coap", true, null, "",
                "<reference name='updates' interface='org.updraft.api.update.UpdateService'/>");
        assertEquals(List.of(), cycles(List.of(parse(updates, "rollout").get(0), parse(selfRegistering, "coap").get(0))));
    }

    /** Target filters count, the configured one (a {@code <name>.target} property) before the descriptor's. */
    @Test
    public void aTargetThatExcludesTheOtherComponentIsNoCycle() throws Exception {
        String serving = component("serving", true, "org.updraft.api.store.FirmwareStore",
                "<property name='store.role' type='String' value='serving'/>",
                "<reference name='backends' cardinality='0..n' policy='dynamic' "
                        + "interface='org.updraft.api.store.FirmwareStore' target='(!(store.role=*))'/>"
                        + "<reference name='releases' interface='org.updraft.api.release.ReleaseService'/>");
        String releases = component("releases", false, "org.updraft.api.release.ReleaseService",
                "<property name='store.target' type='String' value='(store.kind=local)'/>",
                "<reference name='store' interface='org.updraft.api.store.FirmwareStore' target='(store.role=serving)'/>");
        assertEquals("the serving store's backends exclude itself; the release service's configured target "
                + "excludes the serving store", List.of(),
                cycles(List.of(parse(serving, "a").get(0), parse(releases, "b").get(0))));
        String towardsServing = releases.replace("(store.kind=local)", "(store.role=serving)");
        assertEquals(1, cycles(List.of(parse(serving, "a").get(0), parse(towardsServing, "b").get(0))).size());
    }

    // ------------------------------------------------------------------------------------------------ the check

    record Reference(String name, String service, Filter target) {
    }

    record Component(String name, String bundle, List<String> services, Map<String, Object> properties,
            List<Reference> references) {

        /** Whether a reference of another component may bind this component's service. */
        boolean satisfies(Reference r) {
            if (!services.contains(r.service())) {
                return false;
            }
            if (r.target() == null) {
                return true;
            }
            Map<String, Object> registered = new HashMap<>(properties);
            registered.put("objectClass", services.toArray(new String[0]));
            registered.put("component.name", name);
            return r.target().matches(registered);
        }

        @Override
        public String toString() {
            return name + " (" + bundle + ")";
        }
    }

    /**
     * Every cycle, one per strongly connected set of components (Tarjan), as the path of references from a
     * component back to itself.
     */
    static List<String> cycles(List<Component> components) {
        Map<Component, List<Map.Entry<Reference, Component>>> edges = new LinkedHashMap<>();
        for (Component a : components) {
            List<Map.Entry<Reference, Component>> out = new ArrayList<>();
            for (Reference r : a.references()) {
                for (Component b : components) {
                    if (b.satisfies(r)) {
                        out.add(Map.entry(r, b));
                    }
                }
            }
            edges.put(a, out);
        }
        List<String> found = new ArrayList<>();
        for (List<Component> scc : new Tarjan(edges).run()) {
            Component start = scc.get(0);
            boolean selfLoop = edges.get(start).stream().anyMatch(e -> e.getValue() == start);
            if (scc.size() > 1 || selfLoop) {
                found.add(path(start, scc, edges));
            }
        }
        return found;
    }

    /** A path from {@code start} back to itself inside its strongly connected set, by breadth-first search. */
    private static String path(Component start, List<Component> scc,
            Map<Component, List<Map.Entry<Reference, Component>>> edges) {
        Map<Component, Map.Entry<Component, Reference>> via = new HashMap<>();
        List<Component> queue = new ArrayList<>(List.of(start));
        for (int i = 0; i < queue.size(); i++) {
            Component a = queue.get(i);
            for (Map.Entry<Reference, Component> e : edges.get(a)) {
                Component b = e.getValue();
                if (!scc.contains(b) || via.containsKey(b)) {
                    continue;
                }
                via.put(b, Map.entry(a, e.getKey()));
                if (b == start) {
                    queue.clear();
                    break;
                }
                queue.add(b);
            }
        }
        List<String> steps = new ArrayList<>();
        Component at = start;
        do {
            Map.Entry<Component, Reference> step = via.get(at);
            steps.add(0, step.getKey().name() + " -[" + step.getValue().name() + ": " + step.getValue().service()
                    + "]-> " + at.name());
            at = step.getKey();
        } while (at != start);
        return String.join(", ", steps) + " (bundles " + scc.stream().map(Component::bundle).distinct().toList() + ")";
    }

    /** Tarjan's strongly connected components. */
    private static final class Tarjan {
        private final Map<Component, List<Map.Entry<Reference, Component>>> edges;
        private final Map<Component, Integer> index = new HashMap<>();
        private final Map<Component, Integer> low = new HashMap<>();
        private final List<Component> stack = new ArrayList<>();
        private final List<List<Component>> result = new ArrayList<>();

        Tarjan(Map<Component, List<Map.Entry<Reference, Component>>> edges) {
            this.edges = edges;
        }

        List<List<Component>> run() {
            for (Component c : edges.keySet()) {
                if (!index.containsKey(c)) {
                    visit(c);
                }
            }
            return result;
        }

        private void visit(Component c) {
            index.put(c, index.size());
            low.put(c, index.get(c));
            stack.add(c);
            for (Map.Entry<Reference, Component> e : edges.get(c)) {
                Component d = e.getValue();
                if (!index.containsKey(d)) {
                    visit(d);
                    low.put(c, Math.min(low.get(c), low.get(d)));
                } else if (stack.contains(d)) {
                    low.put(c, Math.min(low.get(c), index.get(d)));
                }
            }
            if (low.get(c).equals(index.get(c))) {
                List<Component> scc = new ArrayList<>();
                Component d;
                do {
                    d = stack.remove(stack.size() - 1);
                    scc.add(0, d);
                } while (d != c);
                result.add(scc);
            }
        }
    }

    // ------------------------------------------------------------------------------------------- descriptors

    private static boolean declaresComponents(Path sources) throws IOException {
        if (!Files.isDirectory(sources)) {
            return false;
        }
        try (Stream<Path> files = Files.walk(sources)) {
            return files.filter(f -> f.toString().endsWith(".java")).anyMatch(f -> {
                try {
                    return Files.readString(f).contains("@Component(");
                } catch (IOException e) {
                    throw new IllegalStateException("cannot read " + f, e);
                }
            });
        }
    }

    private static List<Component> descriptors(Path bundle) throws Exception {
        Path dir = bundle.resolve("target/classes/OSGI-INF");
        List<Component> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".xml")).sorted()::iterator) {
                try (InputStream in = Files.newInputStream(f)) {
                    found.addAll(parse(in, bundle.getFileName().toString()));
                }
            }
        }
        return found;
    }

    private static List<Component> parse(String xml, String bundle) throws Exception {
        return parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)), bundle);
    }

    /** The components of one descriptor file (a {@code component} root, or several under another root). */
    private static List<Component> parse(InputStream in, String bundle) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        Element root = factory.newDocumentBuilder().parse(in).getDocumentElement();
        List<Component> found = new ArrayList<>();
        List<Element> elements = "component".equals(root.getLocalName()) ? List.of(root) : children(root, "component");
        for (Element c : elements) {
            List<String> services = new ArrayList<>();
            for (Element service : children(c, "service")) {
                for (Element provide : children(service, "provide")) {
                    services.add(provide.getAttribute("interface"));
                }
            }
            Map<String, Object> properties = new HashMap<>();
            for (Element p : children(c, "property")) {
                properties.put(p.getAttribute("name"), value(p));
            }
            List<Reference> references = new ArrayList<>();
            for (Element r : children(c, "reference")) {
                String name = r.getAttribute("name");
                Object configured = properties.get(name + ".target");
                String target = configured instanceof String s ? s : r.getAttribute("target");
                references.add(new Reference(name, r.getAttribute("interface"), filter(target, c, name)));
            }
            found.add(new Component(c.getAttribute("name"), bundle, services, properties, references));
        }
        return found;
    }

    private static Filter filter(String target, Element component, String reference) {
        if (target == null || target.isEmpty()) {
            return null;
        }
        try {
            return FrameworkUtil.createFilter(target);
        } catch (InvalidSyntaxException e) {
            fail(component.getAttribute("name") + ", reference " + reference + ": bad target " + target);
            return null;
        }
    }

    /** A property's value with its declared type; a value list (element text, one per line) as an array. */
    private static Object value(Element p) {
        String type = p.getAttribute("type").isEmpty() ? "String" : p.getAttribute("type");
        if (p.hasAttribute("value")) {
            return typed(type, p.getAttribute("value"));
        }
        List<Object> values = new ArrayList<>();
        for (String line : p.getTextContent().split("\n")) {
            if (!line.isBlank()) {
                values.add(typed(type, line.strip()));
            }
        }
        return values.toArray();
    }

    private static Object typed(String type, String v) {
        return switch (type) {
            case "Integer" -> Integer.valueOf(v.strip());
            case "Long" -> Long.valueOf(v.strip());
            case "Boolean" -> Boolean.valueOf(v.strip());
            case "Double" -> Double.valueOf(v.strip());
            default -> v;
        };
    }

    private static List<Element> children(Element parent, String localName) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && localName.equals(e.getLocalName())) {
                out.add(e);
            }
        }
        return out;
    }

    /** A descriptor as bnd writes it, for the checks of the check. */
    private static String component(String name, boolean immediate, String service, String properties,
            String references) {
        return "<?xml version='1.0' encoding='UTF-8'?><scr:component xmlns:scr='http://www.osgi.org/xmlns/scr/v1.4.0' "
                + "name='" + name + "' immediate='" + immediate + "'>" + properties
                + (service == null ? "" : "<service><provide interface='" + service + "'/></service>") + references
                + "<implementation class='" + name + "'/></scr:component>";
    }
}
