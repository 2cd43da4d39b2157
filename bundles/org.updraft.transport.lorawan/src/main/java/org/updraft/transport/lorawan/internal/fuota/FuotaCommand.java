package org.updraft.transport.lorawan.internal.fuota;

/**
 * One command of a LoRaWAN application package (TS003, TS004, TS005): a CID and its fields. Records implement it;
 * their constructors refuse values a field cannot carry, so a command that exists can be encoded.
 */
public interface FuotaCommand {

    /** The command identifier, the first byte of the command in its frame. */
    int cid();

    /** Which way the command travels. */
    Direction direction();
}
