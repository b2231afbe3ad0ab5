package model

// Look-ups by key (Meta.ID) inside one Set. They return nil when the key is
// not in the Set, which controls must read as "defined outside what was
// scanned", never as a pass.

// SubnetByID returns the subnet with the given key, or nil.
func (s *Set) SubnetByID(id string) *Subnet { return find(s.Subnets, id) }

// SecurityGroupByID returns the security group with the given key, or nil.
func (s *Set) SecurityGroupByID(id string) *SecurityGroup { return find(s.SecurityGroups, id) }

// NATGatewayByID returns the NAT gateway with the given key, or nil.
func (s *Set) NATGatewayByID(id string) *NATGateway { return find(s.NATGateways, id) }

// LifecycleConfigByID returns the lifecycle configuration with the given key, or nil.
func (s *Set) LifecycleConfigByID(id string) *LifecycleConfig { return find(s.LifecycleConfigs, id) }

// LifecycleConfigByName returns the lifecycle configuration whose Name is name, or nil.
func (s *Set) LifecycleConfigByName(name string) *LifecycleConfig {
	for _, lc := range s.LifecycleConfigs {
		if lc.Name == name {
			return lc
		}
	}
	return nil
}

// RouteTableForSubnet returns the route table explicitly associated with the
// subnet key, else the main route table of vpcID, else nil.
func (s *Set) RouteTableForSubnet(subnetID, vpcID string) *RouteTable {
	for _, rt := range s.RouteTables {
		for _, sub := range rt.Subnets {
			if sub.Ref == subnetID || (sub.Ref == "" && sub.V == subnetID && subnetID != "") {
				return rt
			}
		}
	}
	for _, rt := range s.RouteTables {
		if rt.Main && rt.VpcID.Ref == vpcID && vpcID != "" {
			return rt
		}
	}
	return nil
}

// identified is implemented by every resource type through its embedded Meta.
type identified interface{ ID() string }

func find[T identified](items []T, id string) T {
	var zero T
	if id == "" {
		return zero
	}
	for _, it := range items {
		if it.ID() == id {
			return it
		}
	}
	return zero
}
