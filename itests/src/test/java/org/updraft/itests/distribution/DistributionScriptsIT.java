package org.updraft.itests.distribution;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/** The distribution's own scripts, without starting Karaf: bin/updraft, bin/updraft-admin and bin/updraft-fleet. */
public class DistributionScriptsIT {

    private static KarafProcess distribution;

    @BeforeClass
    public static void unpack() throws Exception {
        distribution = KarafProcess.unpack("scripts");
    }

    @AfterClass
    public static void cleanUp() throws Exception {
        if (distribution != null) {
            distribution.close();
        }
    }

    @Test
    public void updraftRunsTheCliFromItsOwnClasspath() throws Exception {
        KarafProcess.Result result = distribution.run("bin/updraft");
        // No arguments: UpdraftCli prints its usage and exits 2. Any other code means java, the class path
        // or the main class is wrong.
        assertEquals("bin/updraft with no arguments:\n" + result.output(), 2, result.exitCode());
        assertTrue(result.output(), result.output().toLowerCase().contains("usage"));

        Path cliLib = distribution.home().resolve("lib/updraft-cli");
        for (String jar : List.of("org.updraft.cli-", "org.updraft.core-", "org.updraft.api-", "bcprov-jdk18on-",
                "bcutil-jdk18on-", "bcpkix-jdk18on-")) {
            try (Stream<Path> files = Files.list(cliLib)) {
                assertTrue(jar + "*.jar in lib/updraft-cli", files.anyMatch(f -> f.getFileName().toString().startsWith(jar)));
            }
        }
        try (Stream<Path> files = Files.list(distribution.home().resolve("lib"))) {
            assertFalse("Karaf's launcher must not see the CLI's jars in lib/",
                    files.anyMatch(f -> f.getFileName().toString().startsWith("org.updraft")));
        }
    }

    @Test
    public void updraftFleetRunsFromItsOwnClasspathAndProvisionsAFleet() throws Exception {
        KarafProcess.Result help = distribution.run("bin/updraft-fleet", "--help");
        assertEquals("bin/updraft-fleet --help:\n" + help.output(), 0, help.exitCode());
        assertTrue(help.output(), help.output().contains("usage: updraft-fleet provision"));
        for (String jar : List.of("org.updraft.demo-", "org.updraft.device-", "org.updraft.core-", "californium-core-",
                "scandium-", "bcprov-jdk18on-", "slf4j-simple-")) {
            try (Stream<Path> files = Files.list(distribution.home().resolve("lib/updraft-fleet"))) {
                assertTrue(jar + "*.jar in lib/updraft-fleet",
                        files.anyMatch(f -> f.getFileName().toString().startsWith(jar)));
            }
        }

        Path fleet = distribution.home().resolve("fleet");
        KarafProcess.Result made = distribution.run("bin/updraft-fleet", "provision", "--devices", "3", "--vendor",
                "acme", "--class", "thermo", "--regions", "eu,us", "--out", fleet.toString());
        assertEquals(made.output(), 0, made.exitCode());
        List<String> register = Files.readAllLines(fleet.resolve("register.karaf"));
        assertEquals(register.toString(), 3, register.size());
        assertTrue(register.get(1), register.get(1).matches(
                "updraft:device-add --key did:key:z\\w+ --vendor acme --class thermo --region us fleet-00001"));

        // a bad command line: one line, exit code 1, before anything is sent
        KarafProcess.Result noNode = distribution.run("bin/updraft-fleet", "run", "--fleet", fleet.toString());
        assertEquals(noNode.output(), 1, noNode.exitCode());
        assertTrue(noNode.output(), noNode.output().contains("updraft-fleet: no --node HOST:PORT"));
    }

    @Test
    public void updraftAdminStoresOnlyAPasswordHash() throws Exception {
        String password = "correct horse battery";
        KarafProcess.Result added = distribution.runIn(
                List.of(distribution.home().resolve("bin/updraft-admin").toString(), "add-user", "operator"),
                password + "\n", Duration.ofSeconds(30));
        assertEquals(added.output(), 0, added.exitCode());
        String users = Files.readString(distribution.home().resolve("etc/users.properties"));
        assertTrue(users, users.lines().anyMatch(l -> l.matches("operator = \\{CRYPT\\}[0-9a-f]{64}\\{CRYPT\\},_g_:admingroup")));
        assertFalse("the password itself is not written", users.contains(password));
    }

    @Test
    public void updraftAdminRefusesBadInputWithoutTouchingUsers() throws Exception {
        Path users = distribution.home().resolve("etc/users.properties");
        String before = Files.readString(users);
        for (List<String> args : List.of(List.of("add-user", "bad name"), List.of("add-user", "_g_:admingroup"),
                List.of("add-user"), List.of("remove-everything"))) {
            KarafProcess.Result result = distribution.run("bin/updraft-admin", args.toArray(new String[0]));
            assertNotEquals(args + " must fail:\n" + result.output(), 0, result.exitCode());
        }
        KarafProcess.Result shortPassword = distribution.runIn(
                List.of(distribution.home().resolve("bin/updraft-admin").toString(), "add-user", "shorty"),
                "abc\n", Duration.ofSeconds(30));
        assertNotEquals(shortPassword.output(), 0, shortPassword.exitCode());
        assertTrue(shortPassword.output(), shortPassword.output().contains("shorter than 8"));
        KarafProcess.Result duplicate = distribution.runIn(
                List.of(distribution.home().resolve("bin/updraft-admin").toString(), "add-user", "itest"),
                "another-password\n", Duration.ofSeconds(30));
        assertNotEquals("itest exists already:\n" + duplicate.output(), 0, duplicate.exitCode());
        assertEquals("users.properties unchanged by refused commands", before, Files.readString(users));
    }
}
