// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title sluice market: buyers pay for a worker's access to a data-set.
/// @notice The gateway follows `Purchased` events and credits the worker's
/// balance for the data-set once the payment is confirmed. The contract
/// keeps what it received for the data-set's owner (and the marketplace
/// fee for its recipient) until they withdraw it: pull payments, so no
/// transfer to an arbitrary address ever runs inside `purchase`, and the
/// gateway never holds funds.
contract Market {
    /// Gross `amount` (= msg.value); the topics are datasetId, worker,
    /// payer; the data words are owner, amount, ref (DESIGN.md 3.7).
    event Purchased(bytes32 indexed datasetId, address indexed worker,
                    address indexed payer, address owner, uint256 amount,
                    bytes32 ref);
    event Withdrawn(address indexed account, uint256 amount);

    error ZeroValue();
    error ZeroAddress();
    error ZeroDataset();
    error NothingToWithdraw();
    error FeeTooHigh();
    error Reentered();
    error TransferFailed();

    uint16 public immutable feeBps;
    address public immutable feeRecipient;

    /// Withdrawable balance of each owner (and of the fee recipient).
    mapping(address => uint256) public owed;

    uint256 private locked = 1;

    modifier nonReentrant() {
        if (locked != 1) revert Reentered();
        locked = 2;
        _;
        locked = 1;
    }

    constructor(uint16 feeBps_, address feeRecipient_) {
        if (feeBps_ > 10000) revert FeeTooHigh();
        if (feeBps_ > 0 && feeRecipient_ == address(0)) revert ZeroAddress();
        feeBps = feeBps_;
        feeRecipient = feeRecipient_;
    }

    /// Pay for `worker`'s access to data-set `datasetId` of `owner`. `ref`
    /// is the buyer's reference (a quote's ref, or zero).
    function purchase(bytes32 datasetId, address owner, address worker,
                      bytes32 ref) external payable nonReentrant {
        if (msg.value == 0) revert ZeroValue();
        if (owner == address(0) || worker == address(0)) revert ZeroAddress();
        if (datasetId == bytes32(0)) revert ZeroDataset();
        uint256 fee = msg.value * feeBps / 10000;
        if (fee > 0)
            owed[feeRecipient] += fee;
        owed[owner] += msg.value - fee;
        emit Purchased(datasetId, worker, msg.sender, owner, msg.value, ref);
    }

    /// Send the caller everything owed to it.
    function withdraw() external nonReentrant {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        owed[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok, ) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
