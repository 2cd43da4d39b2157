package org.updraft.ledger.evm.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.abi.datatypes.generated.Uint64;
import org.web3j.abi.datatypes.generated.Uint8;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The UpdraftRegistry contract (src/main/solidity): its calls encoded with web3j's ABI codec, its views read
 * with {@code eth_call}.
 */
final class RegistryContract {

    /** Log index the contract uses for changes made on chain directly, not anchored from a log. */
    static final long NOT_FROM_LOG = -1L; // type(uint64).max as a Java long

    /** Manufacturer key status, in the contract's enum order. */
    enum Status {
        UNKNOWN, ACTIVE, ROTATED, REVOKED
    }

    record ChainKey(String did, Status status, String vendor, List<String> deviceClasses, byte[] publicKey,
            String successor, String reason, String controller, long logIndex, long changedAt) {
    }

    record ChainRelease(String signer, String vendor, String deviceClass, long sequence, byte[] manifestDigest,
            String cid, long logIndex, long blockNumber) {
    }

    /** Topic 0 of the ReleasePublished event. */
    static final String RELEASE_PUBLISHED_TOPIC = Hash.sha3String("ReleasePublished(bytes32,string,uint64)");

    private final JsonRpc rpc;
    private final String address;

    RegistryContract(JsonRpc rpc, String address) {
        this.rpc = rpc;
        this.address = address;
    }

    String address() {
        return address;
    }

    /** The creation code with the constructor's argument: the governance accounts besides the deployer. */
    static String deployment(List<String> extraGovernors) {
        List<Address> governors = extraGovernors.stream().map(Address::new).toList();
        String args = FunctionEncoder.encodeConstructor(List.of(new DynamicArray<>(Address.class, governors)));
        return "0x" + bytecode() + args;
    }

    static String bytecode() {
        try (InputStream in = RegistryContract.class.getResourceAsStream("UpdraftRegistry.bin")) {
            if (in == null) {
                throw new IllegalStateException("UpdraftRegistry.bin is missing from the bundle");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- calls that change the chain (data for ChainAccount.send) ----

    static String registerManufacturer(long logIndex, String did, String vendor, byte[] publicKey,
            List<String> deviceClasses, String controller) {
        return FunctionEncoder.encode(new Function("registerManufacturer", List.of(uint64(logIndex),
                new Utf8String(did), new Utf8String(vendor), new DynamicBytes(publicKey),
                new DynamicArray<>(Utf8String.class, deviceClasses.stream().map(Utf8String::new).toList()),
                new Address(controller)), List.of()));
    }

    static String rotateManufacturer(long logIndex, String did, String successor, byte[] successorPublicKey,
            byte[] proof) {
        return FunctionEncoder.encode(new Function("rotateManufacturer", List.of(uint64(logIndex),
                new Utf8String(did), new Utf8String(successor), new DynamicBytes(successorPublicKey),
                new DynamicBytes(proof)), List.of()));
    }

    static String revokeManufacturer(long logIndex, String did, String reason) {
        return FunctionEncoder.encode(new Function("revokeManufacturer", List.of(uint64(logIndex),
                new Utf8String(did), new Utf8String(reason)), List.of()));
    }

    static String publishRelease(long logIndex, String releaseId, String signer, String vendor, String deviceClass,
            long sequence, byte[] manifestDigest, String cid) {
        return FunctionEncoder.encode(new Function("publishRelease", List.of(uint64(logIndex),
                new Utf8String(releaseId), new Utf8String(signer), new Utf8String(vendor), new Utf8String(deviceClass),
                uint64(sequence), new Bytes32(manifestDigest), new Utf8String(cid)), List.of()));
    }

    static String anchorCheckpoint(long treeSize, byte[] rootHash) {
        return FunctionEncoder.encode(new Function("anchorCheckpoint", List.of(uint64(treeSize),
                new Bytes32(rootHash)), List.of()));
    }

    static String setGovernor(String account, boolean governor) {
        return FunctionEncoder.encode(new Function("setGovernor", List.of(new Address(account),
                new org.web3j.abi.datatypes.Bool(governor)), List.of()));
    }

    // ---- views ----

    long eventsAnchored() throws ChainUnreachableException, JsonRpc.RpcError {
        return longValue(view(new Function("eventsAnchored", List.of(), List.of(new TypeReference<Uint64>() {
        }))).get(0));
    }

    long checkpointCount() throws ChainUnreachableException, JsonRpc.RpcError {
        return longValue(view(new Function("checkpointCount", List.of(), List.of(new TypeReference<Uint256>() {
        }))).get(0));
    }

    /** Tree size, root hash and block of the anchored checkpoint {@code number}. */
    Object[] checkpoint(long number) throws ChainUnreachableException, JsonRpc.RpcError {
        List<Type> out = view(new Function("checkpoint", List.of(new Uint256(number)), List.of(
                new TypeReference<Uint64>() {
                }, new TypeReference<Bytes32>() {
                }, new TypeReference<Uint64>() {
                })));
        return new Object[] { longValue(out.get(0)), ((Bytes32) out.get(1)).getValue(), longValue(out.get(2)) };
    }

    long manufacturerCount() throws ChainUnreachableException, JsonRpc.RpcError {
        return longValue(view(new Function("manufacturerCount", List.of(), List.of(new TypeReference<Uint256>() {
        }))).get(0));
    }

    String manufacturerDid(long number) throws ChainUnreachableException, JsonRpc.RpcError {
        return (String) view(new Function("manufacturerDid", List.of(new Uint256(number)),
                List.of(new TypeReference<Utf8String>() {
                }))).get(0).getValue();
    }

    Optional<ChainKey> manufacturer(String did) throws ChainUnreachableException, JsonRpc.RpcError {
        List<Type> out = view(new Function("manufacturer", List.of(new Utf8String(did)), List.of(
                new TypeReference<Uint8>() {
                }, new TypeReference<Utf8String>() {
                }, new TypeReference<DynamicArray<Utf8String>>() {
                }, new TypeReference<DynamicBytes>() {
                }, new TypeReference<Utf8String>() {
                }, new TypeReference<Utf8String>() {
                }, new TypeReference<Address>() {
                }, new TypeReference<Uint64>() {
                }, new TypeReference<Uint64>() {
                })));
        Status status = Status.values()[(int) longValue(out.get(0))];
        if (status == Status.UNKNOWN) {
            return Optional.empty();
        }
        List<String> classes = new ArrayList<>();
        for (Object c : ((DynamicArray<?>) out.get(2)).getValue()) {
            classes.add(((Utf8String) c).getValue());
        }
        return Optional.of(new ChainKey(did, status, (String) out.get(1).getValue(), classes,
                ((DynamicBytes) out.get(3)).getValue(), (String) out.get(4).getValue(), (String) out.get(5).getValue(),
                ((Address) out.get(6)).getValue(), longValue(out.get(7)), longValue(out.get(8))));
    }

    Optional<ChainRelease> release(String releaseId) throws ChainUnreachableException, JsonRpc.RpcError {
        List<Type> out = view(new Function("release", List.of(new Utf8String(releaseId)), List.of(
                new TypeReference<Utf8String>() {
                }, new TypeReference<Utf8String>() {
                }, new TypeReference<Utf8String>() {
                }, new TypeReference<Uint64>() {
                }, new TypeReference<Bytes32>() {
                }, new TypeReference<Utf8String>() {
                }, new TypeReference<Uint64>() {
                }, new TypeReference<Uint64>() {
                })));
        long block = longValue(out.get(7));
        if (block == 0) {
            return Optional.empty();
        }
        return Optional.of(new ChainRelease((String) out.get(0).getValue(), (String) out.get(1).getValue(),
                (String) out.get(2).getValue(), longValue(out.get(3)), ((Bytes32) out.get(4)).getValue(),
                (String) out.get(5).getValue(), longValue(out.get(6)), block));
    }

    /** The ReleasePublished event log of a release: transaction hash, block number and log index. */
    Optional<JsonNode> releaseLog(String releaseId, long fromBlock) throws ChainUnreachableException, JsonRpc.RpcError {
        Map<String, Object> filter = new LinkedHashMap<>();
        filter.put("address", address);
        filter.put("fromBlock", JsonRpc.quantity(fromBlock));
        filter.put("toBlock", JsonRpc.quantity(fromBlock));
        filter.put("topics", List.of(RELEASE_PUBLISHED_TOPIC, Hash.sha3String(releaseId)));
        JsonNode logs = rpc.call("eth_getLogs", filter);
        return logs.size() == 0 ? Optional.empty() : Optional.of(logs.get(0));
    }

    /** Runs a view with {@code eth_call}; a revert comes back as {@link JsonRpc.RpcError}. */
    private List<Type> view(Function function) throws ChainUnreachableException, JsonRpc.RpcError {
        Map<String, String> call = new LinkedHashMap<>();
        call.put("to", address);
        call.put("data", FunctionEncoder.encode(function));
        String result = rpc.call("eth_call", call, "latest").asText();
        if (result.equals("0x")) {
            throw new JsonRpc.RpcError(0, "no contract at " + address + " answers " + function.getName()
                    + "(): is contract.address right for this chain?");
        }
        return FunctionReturnDecoder.decode(result, function.getOutputParameters());
    }

    private static Uint64 uint64(long value) {
        return new Uint64(new BigInteger(Long.toUnsignedString(value)));
    }

    private static long longValue(Type<?> t) {
        return ((BigInteger) t.getValue()).longValue();
    }

    static byte[] hex(String s) {
        return Numeric.hexStringToByteArray(s);
    }
}
