package org.updraft.ledger.evm.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Updraft EVM ledger",
        description = "Anchors trust changes, releases and transparency-log checkpoints on an EVM chain (IoTeX,"
                + " Hyperledger Besu, Ethereum); the local ledger stays the record of every event. Read by the"
                + " EVM ledger (ledger.kind=evm) and the EVM trust store (trust.kind=evm), which start once this"
                + " configuration exists.")
public @interface EvmLedgerConfig {

    @AttributeDefinition(name = "RPC URL", description = "JSON-RPC endpoint of a node of the chain (HTTP).")
    String rpc_url() default "http://127.0.0.1:8545";

    @AttributeDefinition(name = "Chain id",
            description = "EIP-155 chain id; the node must report the same, or nothing is sent. 0: the chain the node"
                    + " serves at first contact, pinned in the state directory once the contract is deployed there.")
    long chain_id() default 0;

    @AttributeDefinition(name = "Account key file",
            description = "File holding the platform account's secp256k1 private key as 64 hex digits (the format of"
                    + " geth account import), an account with funds for gas on the chain. Readable by its owner only;"
                    + " never logged; read at first contact with the chain. ${karaf.data} stands for Karaf's data"
                    + " directory.")
    String account_key_file() default "${karaf.data}/updraft/evm/account.key";

    @AttributeDefinition(name = "Contract address",
            description = "Address of the UpdraftRegistry contract. Empty: deployed at first start by the platform"
                    + " account, and its address kept in the state directory.")
    String contract_address() default "";

    @AttributeDefinition(name = "Governance accounts",
            description = "Accounts made governors when the contract is deployed, besides the platform's: they may"
                    + " register, rotate and revoke manufacturer keys directly on chain.")
    String[] governance() default {};

    @AttributeDefinition(name = "Confirmations",
            description = "Blocks (the transaction's included) to wait before a transaction counts as anchored.")
    int confirmations() default 1;

    @AttributeDefinition(name = "Gas price (wei)",
            description = "Price offered per gas; 0 asks the node (eth_gasPrice).")
    long gas_price_wei() default 0;

    @AttributeDefinition(name = "Gas limit",
            description = "Most gas one transaction may use; each is estimated first and offered a quarter more.")
    long gas_limit() default 3_000_000;

    @AttributeDefinition(name = "Checkpoint batch size",
            description = "Anchor a checkpoint once this many events were appended since the last one.")
    int batch_size() default 1000;

    @AttributeDefinition(name = "Checkpoint interval (seconds)",
            description = "Anchor a checkpoint at least this often while events are appended.")
    int batch_interval_seconds() default 60;

    @AttributeDefinition(name = "Retry (seconds)", description = "Pause before trying an unreachable chain again.")
    int retry_seconds() default 5;

    @AttributeDefinition(name = "Receipt timeout (seconds)",
            description = "How long to wait for a transaction to be mined before trying again later.")
    int receipt_timeout_seconds() default 120;

    @AttributeDefinition(name = "State directory",
            description = "Where the anchoring cursor and the deployed contract's address are kept.")
    String state_directory() default "${karaf.data}/updraft/evm";

    @AttributeDefinition(name = "Trust change timeout (seconds)",
            description = "How long a trust change (trust.kind=evm) waits to be anchored before it reports that it"
                    + " is recorded but not yet in force.")
    int trust_timeout_seconds() default 60;

    @AttributeDefinition(name = "Local ledger",
            description = "Filter choosing the ledger that records every event: (ledger.kind=local), the file, or"
                    + " (ledger.kind=postgresql), the log several nodes share; there one node at a time anchors,"
                    + " under the lease evm/anchoring, and every node needs the same account key file.")
    String local_target() default "(ledger.kind=local)";

    @AttributeDefinition(name = "Ledger (trust store)",
            description = "Filter choosing the ledger the EVM trust store appends its trust events to.")
    String ledger_target() default "(ledger.kind=evm)";
}
