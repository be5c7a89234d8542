// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

interface IMarket {
    function withdraw() external;
    function purchase(bytes32 datasetId, address owner, address worker,
                      bytes32 ref) external payable;
}

/// A data owner that tries to withdraw twice: its receive() calls back
/// into the market while the market is sending it its balance. The test
/// checks that this gets it nothing more than what it is owed.
contract Reentrant {
    IMarket public immutable market;
    uint256 public reentries;
    bool public reenterPurchase;

    constructor(IMarket m) {
        market = m;
    }

    function setReenterPurchase(bool on) external {
        reenterPurchase = on;
    }

    function attack() external {
        market.withdraw();
    }

    receive() external payable {
        reentries++;
        if (reenterPurchase)
            market.purchase{value: 1}(bytes32(uint256(1)), address(this),
                                      address(this), bytes32(0));
        else
            market.withdraw();
    }
}
