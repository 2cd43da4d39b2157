package org.updraft.ledger.evm.internal;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.utils.Numeric;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The platform's Ethereum account: signs and sends transactions (EIP-155, legacy gas price) and waits for their
 * receipts. The key never leaves this object and is never logged; {@link #toString()} shows the address only.
 */
final class ChainAccount {

    /** A mined transaction. */
    record Receipt(String transactionHash, long blockNumber, boolean succeeded, long gasUsed, String contractAddress,
            JsonNode logs) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(ChainAccount.class);

    private final JsonRpc rpc;
    private final Credentials credentials;
    private final long chainId;
    private final GasSettings gas;

    /** Gas choices: a fixed price or the node's, and a cap on what one transaction may use. */
    record GasSettings(BigInteger priceWei, long limit, int confirmations, long receiptTimeoutMillis) {
    }

    ChainAccount(JsonRpc rpc, Credentials credentials, long chainId, GasSettings gas) {
        this.rpc = rpc;
        this.credentials = credentials;
        this.chainId = chainId;
        this.gas = gas;
    }

    /**
     * Reads a secp256k1 private key file: 32 bytes as 64 hex digits, optionally {@code 0x}-prefixed (the format of
     * {@code geth account import}).
     */
    static Credentials readKeyFile(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (NoSuchFileException e) {
            throw new IOException("account key file " + file + " does not exist");
        }
        if (text.startsWith("0x") || text.startsWith("0X")) {
            text = text.substring(2);
        }
        if (!text.matches("[0-9a-fA-F]{64}")) {
            // says nothing of the content: it may be a key in the wrong format
            throw new IOException("account key file " + file + " must hold one secp256k1 private key as 64 hex digits");
        }
        BigInteger key = new BigInteger(text, 16);
        if (key.signum() == 0 || key.compareTo(SECP256K1_N) >= 0) {
            throw new IOException("account key file " + file + " holds no valid secp256k1 private key");
        }
        warnIfShared(file);
        return Credentials.create(ECKeyPair.create(key));
    }

    private static final BigInteger SECP256K1_N = new BigInteger(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", 16);

    private static void warnIfShared(Path file) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                LOG.warn("Account key file {} is readable by other users than its owner: chmod 600 it", file);
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: nothing to check
        }
    }

    String address() {
        return credentials.getAddress();
    }

    long chainId() {
        return chainId;
    }

    /**
     * Sends a transaction to {@code to} (or creates a contract when {@code to} is null) and waits until it is mined
     * with the configured confirmations.
     *
     * @throws JsonRpc.RpcError when the node refuses it, e.g. because the call would revert (its reason in the
     *         message)
     */
    Receipt send(String to, String data) throws ChainUnreachableException, JsonRpc.RpcError {
        java.util.Map<String, String> call = new java.util.LinkedHashMap<>();
        call.put("from", address());
        if (to != null) {
            call.put("to", to);
        }
        call.put("data", data);
        // estimating also runs the call: a revert shows here with its reason, before anything is spent
        long estimate = JsonRpc.quantity(rpc.call("eth_estimateGas", call));
        long limit = estimate + estimate / 4 + 10_000;
        if (gas.limit() > 0 && limit > gas.limit()) {
            if (estimate > gas.limit()) {
                throw new JsonRpc.RpcError(0, "the transaction needs " + estimate + " gas, more than gas.limit "
                        + gas.limit());
            }
            limit = gas.limit();
        }
        BigInteger price = gas.priceWei().signum() > 0 ? gas.priceWei()
                : Numeric.decodeQuantity(rpc.call("eth_gasPrice").asText());
        BigInteger nonce = Numeric.decodeQuantity(rpc.call("eth_getTransactionCount", address(), "pending").asText());
        RawTransaction tx = RawTransaction.createTransaction(nonce, price, BigInteger.valueOf(limit),
                to == null ? "" : to, BigInteger.ZERO, data);
        String signed = Numeric.toHexString(TransactionEncoder.signMessage(tx, chainId, credentials));
        String hash = rpc.call("eth_sendRawTransaction", signed).asText();
        return awaitReceipt(hash);
    }

    private Receipt awaitReceipt(String hash) throws ChainUnreachableException, JsonRpc.RpcError {
        long deadline = System.nanoTime() + gas.receiptTimeoutMillis() * 1_000_000;
        long pause = 20;
        while (true) {
            JsonNode r = rpc.call("eth_getTransactionReceipt", hash);
            if (r != null && !r.isNull() && !r.isMissingNode()) {
                long block = JsonRpc.quantity(r.get("blockNumber"));
                if (gas.confirmations() <= 1
                        || JsonRpc.quantity(rpc.call("eth_blockNumber")) - block + 1 >= gas.confirmations()) {
                    JsonNode address = r.get("contractAddress");
                    return new Receipt(hash, block, "0x1".equals(r.path("status").asText()),
                            JsonRpc.quantity(r.get("gasUsed")),
                            address == null || address.isNull() ? null : address.asText(), r.get("logs"));
                }
            }
            if (System.nanoTime() > deadline) {
                throw new ChainUnreachableException("transaction " + hash + " not mined with " + gas.confirmations()
                        + " confirmation(s) within " + gas.receiptTimeoutMillis() + " ms");
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ChainUnreachableException("interrupted while waiting for " + hash, e);
            }
            pause = Math.min(pause * 2, 1000);
        }
    }

    @Override
    public String toString() {
        return "account " + address() + " on chain " + chainId;
    }
}
