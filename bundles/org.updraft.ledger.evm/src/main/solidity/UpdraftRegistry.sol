// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Updraft registry: manufacturer keys, releases and transparency-log checkpoints.
/// @notice What must outlive any one platform node. The platform keeps every event in its local
/// transparency log and anchors here: trust changes and releases one transaction each, checkpoints
/// (tree size + RFC 9162 root hash) in batches.
///
/// Manufacturer keys are did:key identities (Ed25519 or P-256). The EVM verifies neither natively, so
/// a manufacturer authorizes on chain through an Ethereum account it controls (its `controller`), and
/// the platform anchors the manufacturer's own rotation signature (COSE) in the rotation event, for
/// anyone to check off chain. Governors (the deploying platform and any configured governance accounts)
/// may register, rotate and revoke any key.
///
/// Strings and bytes of the writing functions are in memory: as calldata they take two stack slots each, and
/// these functions have too many for the legacy code generator.
///
/// Calls that anchor a local-log event carry its log index; an index at or below one already anchored
/// is refused, so an event is never anchored twice, whatever a platform retries after an outage.
contract UpdraftRegistry {
    enum KeyStatus {
        Unknown,
        Active,
        Rotated,
        Revoked
    }

    struct Manufacturer {
        string did;
        string vendor;
        bytes publicKey;
        string[] deviceClasses; // empty: all of the vendor's classes
        KeyStatus status;
        address controller;
        string successor;
        string reason;
        uint64 logIndex; // local-log event of the last change; NOT_FROM_LOG for direct governance calls
        uint64 changedAt; // block timestamp of the last change
    }

    struct Release {
        string signer;
        string vendor;
        string deviceClass;
        uint64 sequence;
        bytes32 manifestDigest; // SHA-256 of the signed manifest (COSE_Sign1 bytes)
        string cid;
        uint64 logIndex;
        uint64 blockNumber;
    }

    struct Checkpoint {
        uint64 treeSize;
        uint64 blockNumber;
        bytes32 rootHash;
    }

    /// Log index for a change that was made on chain directly, not anchored from a platform's log.
    uint64 public constant NOT_FROM_LOG = type(uint64).max;

    mapping(address => bool) public governors;
    mapping(address => bool) public publishers;

    mapping(bytes32 => Manufacturer) private manufacturers; // by keccak256(did)
    bytes32[] private manufacturerIds;
    mapping(bytes32 => mapping(bytes32 => bool)) private coversClass; // did hash => class hash

    mapping(bytes32 => Release) private releases; // by keccak256(release id)
    mapping(bytes32 => uint64) private latestSequences; // by keccak256(abi.encode(vendor, class))

    Checkpoint[] private checkpoints;

    /// One more than the highest local-log index anchored so far (0: none).
    uint64 public eventsAnchored;

    event GovernorChanged(address indexed account, bool governor);
    event PublisherChanged(address indexed account, bool publisher);
    event ManufacturerRegistered(bytes32 indexed didHash, string did, string vendor, address controller, uint64 logIndex);
    event ManufacturerRotated(bytes32 indexed didHash, string did, string successor, bytes proof, address by, uint64 logIndex);
    event ManufacturerRevoked(bytes32 indexed didHash, string did, string reason, address by, uint64 logIndex);
    event ReleasePublished(bytes32 indexed releaseIdHash, string releaseId, uint64 logIndex);
    event CheckpointAnchored(uint256 indexed number, uint64 treeSize, bytes32 rootHash);

    modifier onlyGovernor() {
        require(governors[msg.sender], "not a governor");
        _;
    }

    modifier onlyPublisher() {
        require(publishers[msg.sender], "not a publisher");
        _;
    }

    /// The deployer becomes governor and publisher; `extraGovernors` are governance accounts besides it.
    constructor(address[] memory extraGovernors) {
        governors[msg.sender] = true;
        publishers[msg.sender] = true;
        emit GovernorChanged(msg.sender, true);
        emit PublisherChanged(msg.sender, true);
        for (uint256 i = 0; i < extraGovernors.length; i++) {
            governors[extraGovernors[i]] = true;
            emit GovernorChanged(extraGovernors[i], true);
        }
    }

    function setGovernor(address account, bool governor) external onlyGovernor {
        require(account != msg.sender || governor, "a governor cannot remove itself");
        governors[account] = governor;
        emit GovernorChanged(account, governor);
    }

    function setPublisher(address account, bool publisher) external onlyGovernor {
        publishers[account] = publisher;
        emit PublisherChanged(account, publisher);
    }

    // ---- manufacturer registry ----

    function registerManufacturer(
        uint64 logIndex,
        string memory did,
        string memory vendor,
        bytes memory publicKey,
        string[] memory deviceClasses,
        address controller
    ) external onlyGovernor {
        markAnchored(logIndex);
        bytes32 id = keccak256(bytes(did));
        require(manufacturers[id].status == KeyStatus.Unknown, "key already registered");
        require(bytes(vendor).length > 0, "vendor missing");
        require(publicKey.length > 0, "public key missing");
        Manufacturer storage m = manufacturers[id];
        m.did = did;
        m.vendor = vendor;
        m.publicKey = publicKey;
        for (uint256 i = 0; i < deviceClasses.length; i++) {
            m.deviceClasses.push(deviceClasses[i]);
            coversClass[id][keccak256(bytes(deviceClasses[i]))] = true;
        }
        m.status = KeyStatus.Active;
        m.controller = controller;
        m.logIndex = logIndex;
        m.changedAt = uint64(block.timestamp);
        manufacturerIds.push(id);
        emit ManufacturerRegistered(id, did, vendor, controller, logIndex);
    }

    /// Replaces an active key by its successor, for the same vendor, classes and controller. `proof` is the old
    /// key's signature over the rotation statement (empty when a governor vouches for it); it is kept in the event.
    function rotateManufacturer(
        uint64 logIndex,
        string memory did,
        string memory successor,
        bytes memory successorPublicKey,
        bytes memory proof
    ) external {
        bytes32 id = keccak256(bytes(did));
        Manufacturer storage old = manufacturers[id];
        require(governors[msg.sender] || (old.controller != address(0) && old.controller == msg.sender),
            "only a governor or the manufacturer's controller may rotate");
        markAnchored(logIndex);
        require(old.status == KeyStatus.Active, "key is not active");
        bytes32 nextId = keccak256(bytes(successor));
        require(manufacturers[nextId].status == KeyStatus.Unknown, "successor already registered");
        require(successorPublicKey.length > 0, "public key missing");
        old.status = KeyStatus.Rotated;
        old.successor = successor;
        old.logIndex = logIndex;
        old.changedAt = uint64(block.timestamp);

        Manufacturer storage m = manufacturers[nextId];
        m.did = successor;
        m.vendor = old.vendor;
        m.publicKey = successorPublicKey;
        for (uint256 i = 0; i < old.deviceClasses.length; i++) {
            m.deviceClasses.push(old.deviceClasses[i]);
            coversClass[nextId][keccak256(bytes(old.deviceClasses[i]))] = true;
        }
        m.status = KeyStatus.Active;
        m.controller = old.controller;
        m.logIndex = logIndex;
        m.changedAt = uint64(block.timestamp);
        manufacturerIds.push(nextId);
        emit ManufacturerRotated(id, did, successor, proof, msg.sender, logIndex);
    }

    function revokeManufacturer(uint64 logIndex, string memory did, string memory reason) external {
        bytes32 id = keccak256(bytes(did));
        Manufacturer storage m = manufacturers[id];
        require(governors[msg.sender] || (m.controller != address(0) && m.controller == msg.sender),
            "only a governor or the manufacturer's controller may revoke");
        markAnchored(logIndex);
        require(m.status != KeyStatus.Unknown, "key not registered");
        require(m.status != KeyStatus.Revoked, "key already revoked");
        m.status = KeyStatus.Revoked;
        m.reason = reason;
        m.logIndex = logIndex;
        m.changedAt = uint64(block.timestamp);
        emit ManufacturerRevoked(id, did, reason, msg.sender, logIndex);
    }

    function manufacturerCount() external view returns (uint256) {
        return manufacturerIds.length;
    }

    function manufacturerDid(uint256 number) external view returns (string memory) {
        return manufacturers[manufacturerIds[number]].did;
    }

    function manufacturer(string calldata did)
        external
        view
        returns (
            KeyStatus status,
            string memory vendor,
            string[] memory deviceClasses,
            bytes memory publicKey,
            string memory successor,
            string memory reason,
            address controller,
            uint64 logIndex,
            uint64 changedAt
        )
    {
        Manufacturer storage m = manufacturers[keccak256(bytes(did))];
        return (m.status, m.vendor, m.deviceClasses, m.publicKey, m.successor, m.reason, m.controller, m.logIndex,
            m.changedAt);
    }

    // ---- release registry ----

    /// Records a release . Refused unless its signer is registered, active, of the same vendor and covers the
    /// class, and its sequence is greater than the last recorded for the vendor's class.
    function publishRelease(
        uint64 logIndex,
        string memory releaseId,
        string memory signer,
        string memory vendor,
        string memory deviceClass,
        uint64 sequence,
        bytes32 manifestDigest,
        string memory cid
    ) external onlyPublisher {
        markAnchored(logIndex);
        checkSigner(signer, vendor, deviceClass);
        checkSequence(vendor, deviceClass, sequence);
        bytes32 id = keccak256(bytes(releaseId));
        Release storage r = releases[id];
        require(r.blockNumber == 0, "release already recorded");
        r.signer = signer;
        r.vendor = vendor;
        r.deviceClass = deviceClass;
        r.sequence = sequence;
        r.manifestDigest = manifestDigest;
        r.cid = cid;
        r.logIndex = logIndex;
        r.blockNumber = uint64(block.number);
        emit ReleasePublished(id, releaseId, logIndex);
    }

    function checkSequence(string memory vendor, string memory deviceClass, uint64 sequence) private {
        bytes32 classKey = keccak256(abi.encode(vendor, deviceClass));
        require(sequence > latestSequences[classKey], "sequence not greater than the last for the class");
        latestSequences[classKey] = sequence;
    }

    function checkSigner(string memory signer, string memory vendor, string memory deviceClass) private view {
        bytes32 signerId = keccak256(bytes(signer));
        Manufacturer storage m = manufacturers[signerId];
        require(m.status != KeyStatus.Unknown, "signer not registered");
        require(m.status == KeyStatus.Active, "signer not active");
        require(keccak256(bytes(m.vendor)) == keccak256(bytes(vendor)), "signer is not the vendor's");
        require(m.deviceClasses.length == 0 || coversClass[signerId][keccak256(bytes(deviceClass))],
            "signer does not cover the class");
    }

    /// The recorded release; blockNumber 0 when there is none.
    function release(string calldata releaseId)
        external
        view
        returns (
            string memory signer,
            string memory vendor,
            string memory deviceClass,
            uint64 sequence,
            bytes32 manifestDigest,
            string memory cid,
            uint64 logIndex,
            uint64 blockNumber
        )
    {
        Release storage r = releases[keccak256(bytes(releaseId))];
        return (r.signer, r.vendor, r.deviceClass, r.sequence, r.manifestDigest, r.cid, r.logIndex, r.blockNumber);
    }

    function latestSequence(string calldata vendor, string calldata deviceClass) external view returns (uint64) {
        return latestSequences[keccak256(abi.encode(vendor, deviceClass))];
    }

    // ---- log checkpoints ----

    /// Anchors the transparency log's state; each anchored tree must be larger than the last.
    function anchorCheckpoint(uint64 treeSize, bytes32 rootHash) external onlyPublisher {
        uint256 n = checkpoints.length;
        require(n == 0 || treeSize > checkpoints[n - 1].treeSize, "tree size not greater than the last anchored");
        checkpoints.push(Checkpoint(treeSize, uint64(block.number), rootHash));
        emit CheckpointAnchored(n, treeSize, rootHash);
    }

    function checkpointCount() external view returns (uint256) {
        return checkpoints.length;
    }

    function checkpoint(uint256 number) external view returns (uint64 treeSize, bytes32 rootHash, uint64 blockNumber) {
        Checkpoint storage c = checkpoints[number];
        return (c.treeSize, c.rootHash, c.blockNumber);
    }

    function markAnchored(uint64 logIndex) private {
        if (logIndex == NOT_FROM_LOG) {
            return;
        }
        require(logIndex >= eventsAnchored, "event already anchored");
        eventsAnchored = logIndex + 1;
    }
}
