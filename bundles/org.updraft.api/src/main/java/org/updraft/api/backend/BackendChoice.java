package org.updraft.api.backend;

/**
 * Which backend of one capability the platform uses, as chosen in its configuration, and whether it runs.
 *
 * @param capability what is chosen: {@code store}, {@code ledger}, {@code trust} or {@code registry}
 * @param kind the chosen backend's kind ({@code local}, {@code evm}, {@code ledger}, {@code jdbc}, ...), the value
 *        of its {@code *.kind} service property
 * @param running whether a backend of that kind is registered now
 * @param feature the Karaf feature that provides that kind
 * @param detail one line for operators: what serves, or what is missing and how to fix it
 */
public record BackendChoice(String capability, String kind, boolean running, String feature, String detail) {
}
