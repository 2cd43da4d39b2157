package org.updraft.ledger.evm.internal;

import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import org.updraft.core.config.DataPaths;

/** {@link EvmLedgerConfig} checked once: each bad value is refused with the name of its key. */
record EvmSettings(URI rpcUrl, long chainId, Path accountKeyFile, String contractAddress, List<String> governance,
        int confirmations, BigInteger gasPriceWei, long gasLimit, int batchSize, Duration batchInterval,
        Duration retry, Duration receiptTimeout, Path stateDirectory, Duration trustTimeout) {

    static final String PID = "org.updraft.ledger.evm";
    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");

    static EvmSettings from(EvmLedgerConfig c) {
        URI url;
        try {
            url = new URI(c.rpc_url().trim());
        } catch (URISyntaxException e) {
            throw bad("rpc.url", "is not a URL: " + e.getMessage());
        }
        if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
            throw bad("rpc.url", "must be an http or https URL, not " + c.rpc_url());
        }
        if (c.chain_id() < 0) {
            throw bad("chain.id", "must be positive, or 0 for the chain the node serves");
        }
        String contract = c.contract_address().trim();
        if (!contract.isEmpty() && !ADDRESS.matcher(contract).matches()) {
            throw bad("contract.address", "must be 0x followed by 40 hex digits, or empty to deploy one");
        }
        for (String g : c.governance()) {
            if (!ADDRESS.matcher(g.trim()).matches()) {
                throw bad("governance", "'" + g + "' is not an address (0x and 40 hex digits)");
            }
        }
        positive("confirmations", c.confirmations());
        positive("batch.size", c.batch_size());
        positive("batch.interval.seconds", c.batch_interval_seconds());
        positive("retry.seconds", c.retry_seconds());
        positive("receipt.timeout.seconds", c.receipt_timeout_seconds());
        positive("trust.timeout.seconds", c.trust_timeout_seconds());
        if (c.gas_price_wei() < 0 || c.gas_limit() < 0) {
            throw bad(c.gas_price_wei() < 0 ? "gas.price.wei" : "gas.limit", "must not be negative");
        }
        return new EvmSettings(url, c.chain_id(), path("account.key.file", c.account_key_file()),
                contract.toLowerCase(), List.of(c.governance()).stream().map(String::trim).toList(), c.confirmations(),
                BigInteger.valueOf(c.gas_price_wei()), c.gas_limit(), c.batch_size(),
                Duration.ofSeconds(c.batch_interval_seconds()), Duration.ofSeconds(c.retry_seconds()),
                Duration.ofSeconds(c.receipt_timeout_seconds()), path("state.directory", c.state_directory()),
                Duration.ofSeconds(c.trust_timeout_seconds()));
    }

    private static void positive(String key, long value) {
        if (value <= 0) {
            throw bad(key, "must be positive, not " + value);
        }
    }

    private static Path path(String key, String configured) {
        try {
            return DataPaths.resolve(configured);
        } catch (IllegalArgumentException e) {
            throw bad(key, e.getMessage());
        }
    }

    private static IllegalArgumentException bad(String key, String problem) {
        return new IllegalArgumentException("configuration " + PID + ": '" + key + "' " + problem);
    }

    ChainAccount.GasSettings gas() {
        return new ChainAccount.GasSettings(gasPriceWei, gasLimit, confirmations, receiptTimeout.toMillis());
    }
}
