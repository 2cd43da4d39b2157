package org.updraft.ledger.evm.internal;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import org.bouncycastle.crypto.digests.KeccakDigest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A second client of the chain, independent of web3j and of the code under test: JSON-RPC over the JDK's HTTP
 * client, calldata built by hand (Keccak-256 from BouncyCastle for selectors, ABI words by hand). Shared with the
 * integration tests through this bundle's test-jar; inside Karaf it needs BouncyCastle and Jackson's databind.
 */
public final class PlainRpc {

    private static final HexFormat HEX = HexFormat.of();
    private final URI url;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    public PlainRpc(URI url) {
        this.url = url;
    }

    public JsonNode call(String method, String paramsJson) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(url).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"" + method
                        + "\",\"params\":" + paramsJson + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        JsonNode answer = json.readTree(r.body());
        if (answer.has("error")) {
            throw new IllegalStateException(method + ": " + answer.get("error"));
        }
        return answer.get("result");
    }

    /** eth_call of {@code signature} with string arguments (or none); the raw return bytes. */
    public byte[] ethCall(String contract, String signature, Object... args) throws Exception {
        String data = "0x" + HEX.formatHex(calldata(signature, args));
        String result = call("eth_call", "[{\"to\":\"" + contract + "\",\"data\":\"" + data + "\"},\"latest\"]")
                .asText();
        return HEX.parseHex(result.substring(2));
    }

    /** eth_sendTransaction from an account ganache holds the key of; returns the receipt. */
    public JsonNode sendFrom(String from, String contract, String signature, Object... args) throws Exception {
        String data = "0x" + HEX.formatHex(calldata(signature, args));
        String hash = call("eth_sendTransaction", "[{\"from\":\"" + from + "\",\"to\":\"" + contract
                + "\",\"gas\":\"0x7a120\",\"data\":\"" + data + "\"}]").asText();
        return call("eth_getTransactionReceipt", "[\"" + hash + "\"]");
    }

    public static byte[] keccak(byte[] data) {
        KeccakDigest d = new KeccakDigest(256);
        d.update(data, 0, data.length);
        byte[] out = new byte[32];
        d.doFinal(out, 0);
        return out;
    }

    public static String keccakHex(String text) {
        return "0x" + HEX.formatHex(keccak(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** ABI encoding of a call whose arguments are strings (dynamic) and longs (uint64/uint256). */
    public static byte[] calldata(String signature, Object... args) {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        ByteArrayOutputStream tail = new ByteArrayOutputStream();
        head.writeBytes(Arrays.copyOf(keccak(signature.getBytes(StandardCharsets.US_ASCII)), 4));
        for (Object a : args) {
            if (a instanceof String s) {
                head.writeBytes(word(BigInteger.valueOf(32L * args.length + tail.size())));
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                tail.writeBytes(word(BigInteger.valueOf(b.length)));
                tail.writeBytes(Arrays.copyOf(b, (b.length + 31) / 32 * 32));
            } else if (a instanceof BigInteger n) {
                head.writeBytes(word(n));
            } else {
                head.writeBytes(word(BigInteger.valueOf(((Number) a).longValue())));
            }
        }
        head.writeBytes(tail.toByteArray());
        return head.toByteArray();
    }

    private static byte[] word(BigInteger n) {
        byte[] b = n.toByteArray();
        byte[] w = new byte[32];
        if (n.signum() < 0) {
            Arrays.fill(w, (byte) 0xff);
        }
        int len = Math.min(b.length, 32);
        System.arraycopy(b, b.length - len, w, 32 - len, len);
        return w;
    }

    public static BigInteger uint(byte[] result, int wordIndex) {
        return new BigInteger(1, Arrays.copyOfRange(result, wordIndex * 32, wordIndex * 32 + 32));
    }

    public static byte[] bytes32(byte[] result, int wordIndex) {
        return Arrays.copyOfRange(result, wordIndex * 32, wordIndex * 32 + 32);
    }

    /** The string whose head word is {@code wordIndex}. */
    public static String string(byte[] result, int wordIndex) {
        int offset = uint(result, wordIndex).intValueExact();
        int length = new BigInteger(1, Arrays.copyOfRange(result, offset, offset + 32)).intValueExact();
        return new String(result, offset + 32, length, StandardCharsets.UTF_8);
    }
}
