package org.viridian.management.service;

import org.viridian.management.config.VmConfig;
import org.viridian.management.state.VmStatus;

/** A consistent snapshot of one VM: definition and state. */
public record VmView(VmConfig config, VmStatus status) {}
