package org.updraft.core.update;

import org.updraft.core.cose.CoseSign1;
import org.updraft.core.identity.VerificationKey;

/**
 * A parsed device report whose signature is not checked yet: the platform first looks up the device's key by
 * {@link DeviceReport#deviceId()}, then calls {@link #verify}.
 *
 * @param report the report
 * @param envelope its COSE_Sign1
 * @param bytes the signed bytes as received (and as recorded on the ledger)
 */
public record SignedReport(DeviceReport report, CoseSign1 envelope, byte[] bytes) {

    public SignedReport {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The did:key in the envelope's key id. */
    public String signer() {
        return envelope.kid();
    }

    /**
     * Checks that the device with key {@code deviceDid} signed this report.
     *
     * @throws BadSignatureException when the signer is another key or the signature does not verify
     */
    public void verify(String deviceDid) throws UpdateFormatException {
        if (!deviceDid.equals(envelope.kid())) {
            throw new BadSignatureException("the report of device " + report.deviceId() + " is signed by "
                    + envelope.kid() + ", not by the device's key " + deviceDid);
        }
        VerificationKey key;
        try {
            key = VerificationKey.fromDid(deviceDid);
        } catch (IllegalArgumentException e) {
            throw new UpdateFormatException("device " + report.deviceId() + " has an unusable key: " + e.getMessage());
        }
        if (!envelope.verify(key)) {
            throw new BadSignatureException("the signature of the report of device " + report.deviceId()
                    + " does not verify");
        }
    }
}
