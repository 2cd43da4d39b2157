package org.updraft.transport.lorawan.internal.fuota;

/**
 * A frame that is not a valid sequence of commands of its package: an unknown CID, a command cut short, extra
 * bytes, or a field outside its range. The message names the port, the direction, the command and the fault.
 */
public final class FuotaCodecException extends Exception {

    private static final long serialVersionUID = 1L;

    public FuotaCodecException(String message) {
        super(message);
    }
}
