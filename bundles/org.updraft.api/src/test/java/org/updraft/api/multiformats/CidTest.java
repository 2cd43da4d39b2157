package org.updraft.api.multiformats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;

class CidTest {

    private static byte[] digest(String text) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theCanonicalTextOfEachVersionAndCodecParsesBackToTheSameCid() throws Exception {
        byte[] sha256 = digest("block");
        for (Cid cid : List.of(Cid.v0(sha256), Cid.v1(Cid.DAG_PB, sha256), Cid.v1(Cid.RAW, sha256))) {
            assertEquals(cid, Cid.parse(cid.toString()));
            assertEquals(cid.toString(), Cid.parse(cid.toString()).toString());
        }
        // the empty UnixFS file as 'ipfs add' names it
        assertEquals("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH",
                Cid.parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH").toString());
    }

    @Test
    void otherSpellingsOfTheSameCidAreRefusedNamingTheCanonicalOne() throws Exception {
        Cid v1 = Cid.v1(Cid.RAW, digest("block"));
        String canonical = v1.toString();
        List<String> spellings = List.of(
                "z" + Multibase.encodeBase58(v1.toBytes()), // base58btc v1
                canonical.toUpperCase(Locale.ROOT), // base32upper
                "b" + canonical.substring(1, 10).toUpperCase(Locale.ROOT) + canonical.substring(10), // mixed case
                " " + canonical, canonical + "\n");
        for (String spelling : spellings) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> Cid.parse(spelling),
                    spelling);
            assertTrue(refused.getMessage().contains("canonical") && refused.getMessage().contains(canonical),
                    refused.getMessage());
        }
        String v0 = Cid.v0(digest("block")).toString();
        assertThrows(IllegalArgumentException.class, () -> Cid.parse(v0 + " "));
    }

    @Test
    void textThatIsNoCidIsRefusedAsSuch() {
        for (String text : List.of("", "not-a-cid", "Qm", "bafy", "zzzz", "b" + "a".repeat(58))) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> Cid.parse(text),
                    text);
            assertTrue(refused.getMessage().startsWith("not a CID") || refused.getMessage().contains("supported")
                    || refused.getMessage().contains("varint") || refused.getMessage().contains("version"),
                    refused.getMessage());
        }
    }
}
