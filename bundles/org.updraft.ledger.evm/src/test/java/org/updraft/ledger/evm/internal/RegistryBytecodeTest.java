package org.updraft.ledger.evm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checked-in ABI and bytecode are what solc 0.8.28 makes of the checked-in source, byte for byte. */
class RegistryBytecodeTest {

    @Test
    void checkedInBytecodeMatchesTheSource(@TempDir Path out) throws Exception {
        Path bundle = Ganache.tools().getParent();
        Path compile = bundle.resolve("src/main/solidity/compile");
        if (!Files.isDirectory(Ganache.tools().resolve("node_modules/solc"))) {
            fail("solc is not installed in " + Ganache.tools() + ": run .ci/setup");
        }
        Process p = new ProcessBuilder(compile.toString(), out.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("compile did not finish in 120 s");
        }
        assertEquals(0, p.exitValue(), output);
        Path shipped = bundle.resolve("src/main/resources/org/updraft/ledger/evm/internal");
        for (String file : new String[] { "UpdraftRegistry.bin", "UpdraftRegistry.abi" }) {
            assertEquals(Files.readString(out.resolve(file)), Files.readString(shipped.resolve(file)),
                    file + " differs from a fresh compilation of UpdraftRegistry.sol: run src/main/solidity/compile");
        }
        // and what the bundle loads is that file
        assertEquals(Files.readString(shipped.resolve("UpdraftRegistry.bin")).trim(), RegistryContract.bytecode());
    }
}
