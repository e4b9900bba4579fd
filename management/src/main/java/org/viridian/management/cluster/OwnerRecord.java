package org.viridian.management.cluster;

import java.time.Instant;

/**
 * Who owns a clustered VM (/viridian/owners/ID, an ephemeral node of the owner's session, so it goes with the owner's
 * lease) and since which epoch: the version of /viridian/epochs/ID that the owner's claim advanced atomically with
 * creating this node. A host starts a clustered VM only while its own session holds this node.
 */
public record OwnerRecord(String host, long epoch, Instant since) {}
