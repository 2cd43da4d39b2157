package org.updraft.api.update;

/**
 * What the platform did with a device report.
 *
 * @param ledgerIndex index of the {@code device.reported} event, or {@code -1} when the report repeated one
 *        already recorded (a retransmission) and nothing new was appended
 * @param duplicate whether the report was already recorded
 */
public record ReportReceipt(long ledgerIndex, boolean duplicate) {
}
